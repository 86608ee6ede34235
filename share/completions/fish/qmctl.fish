# fish completion for qmctl
set -l qmctl_subcommands show exec execin cp completion
complete -c qmctl -f
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -s h -l help -d 'Show help'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -s v -l verbose -d 'Verbose output'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -l json -d 'Output as JSON'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -l container -x -d 'Container to operate on'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -l config -r -F -d 'Quadlet file'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -a show -d 'Show information about the QM container'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -a exec -d 'Run command inside QM container'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -a execin -d 'Run command in a nested container'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -a cp -d 'Copy files between host and QM container'
complete -c qmctl -n "not __fish_seen_subcommand_from $qmctl_subcommands" -a completion -d 'Print a shell completion script'
complete -c qmctl -n "__fish_seen_subcommand_from show exec execin cp" -l json -d 'Output as JSON'
complete -c qmctl -n "__fish_seen_subcommand_from show" -a 'container unix-domain-sockets shared-memory resources available-devices namespaces all'
complete -c qmctl -n "__fish_seen_subcommand_from cp" -F
complete -c qmctl -n "__fish_seen_subcommand_from completion" -a 'bash zsh fish'
