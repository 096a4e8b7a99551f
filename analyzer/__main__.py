from analyzer.cli.app import main

main()
