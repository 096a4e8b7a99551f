from analyzer.cli.commands import main

main()
