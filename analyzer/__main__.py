from analyzer.cli.commands import run

run()
