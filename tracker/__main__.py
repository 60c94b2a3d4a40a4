from tracker.early import main

main()
