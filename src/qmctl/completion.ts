import type { Shell } from "./args.js";

/**
 * Static completion scripts. They complete subcommands, options, show topics, shells, nested container
 * names are left to the user, and cp paths fall back to file names. They call nothing at completion time,
 * so completing never starts podman.
 */
const SUBCOMMANDS = "show exec execin cp completion";
const TOPICS = "container unix-domain-sockets shared-memory resources available-devices namespaces all";

const BASH = `# bash completion for qmctl
_qmctl() {
    local cur prev words cword i sub=""
    cur="\${COMP_WORDS[COMP_CWORD]}"
    prev="\${COMP_WORDS[COMP_CWORD-1]}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "\${COMP_WORDS[i]}" in
            --container|--config) ((i++)) ;;
            -*) ;;
            *) sub="\${COMP_WORDS[i]}"; break ;;
        esac
    done
    if [[ -z "$sub" ]]; then
        case "$prev" in
            --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
            --container) return ;;
        esac
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help -v --verbose --json --container --config" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "${SUBCOMMANDS}" -- "$cur"))
        fi
        return
    fi
    case "$sub" in
        show)
            if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "-h --help --json" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "${TOPICS}" -- "$cur"))
            fi ;;
        exec|execin)
            if ((i + 1 == COMP_CWORD)) && [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "-h --help --json" -- "$cur"))
            fi ;;
        cp)
            if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "-h --help --json" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi ;;
        completion)
            COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
    esac
}
complete -o filenames -F _qmctl qmctl
`;

const ZSH = `#compdef qmctl
# zsh completion for qmctl

_qmctl() {
    local -a subcommands
    subcommands=(
        'show:Show information about the QM container'
        'exec:Run command inside QM container'
        'execin:Run command inside QM container in a nested container'
        'cp:Copy files between host and QM container'
        'completion:Print a shell completion script'
    )
    _arguments -C \\
        '(-h --help)'{-h,--help}'[show help]' \\
        '(-v --verbose)'{-v,--verbose}'[verbose output]' \\
        '--json[output as JSON]' \\
        '--container[container to operate on]:container name:' \\
        '--config[quadlet file]:quadlet file:_files' \\
        '1:subcommand:->subcommand' \\
        '*::argument:->argument'
    case $state in
        subcommand)
            _describe -t subcommands 'qmctl subcommand' subcommands ;;
        argument)
            case $words[1] in
                show)
                    _arguments '(-h --help)'{-h,--help}'[show help]' '--json[output as JSON]' \\
                        '1:topic:(${TOPICS})' ;;
                exec|execin)
                    _arguments '(-h --help)'{-h,--help}'[show help]' '--json[output as JSON]' \\
                        '*::command:_normal' ;;
                cp)
                    _arguments '(-h --help)'{-h,--help}'[show help]' '--json[output as JSON]' \\
                        '1:source:_files' '2:destination:_files' ;;
                completion)
                    _arguments '1:shell:(bash zsh fish)' ;;
            esac ;;
    esac
}

_qmctl "$@"
`;

const FISH = `# fish completion for qmctl
set -l qmctl_subcommands ${SUBCOMMANDS}
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
complete -c qmctl -n "__fish_seen_subcommand_from show" -a '${TOPICS}'
complete -c qmctl -n "__fish_seen_subcommand_from cp" -F
complete -c qmctl -n "__fish_seen_subcommand_from completion" -a 'bash zsh fish'
`;

export function completionScript(shell: Shell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}

/** Where each script is installed from share/completions/ (file names the shells look up). */
export const COMPLETION_FILES: Record<Shell, string> = { bash: "qmctl", zsh: "_qmctl", fish: "qmctl.fish" };
