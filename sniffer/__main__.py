from v2gsniff.sniffer.cli import main

main()
