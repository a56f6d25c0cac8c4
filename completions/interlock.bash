# bash completion for interlock(1)                          -*- shell-script -*-
# Installed as share/bash-completion/completions/interlock.

_interlock()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local commands="run check rules log doctor shell-init pending approve deny hook --help --version"
    if [ "$cword" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        return
    fi

    local cmd=${words[1]} i
    # after `--`, complete the guarded command like `command` does
    for ((i = 2; i < cword; i++)); do
        if [ "${words[i]}" = "--" ]; then
            if [ $((i + 1)) -eq "$cword" ]; then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
        fi
    done

    case $prev in
        --rules)
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
        --output|-o|--file)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
        --decision)
            COMPREPLY=($(compgen -W "allowed denied" -- "$cur"))
            return ;;
        --open)
            COMPREPLY=($(compgen -W "read write append truncate create" -- "$cur"))
            return ;;
        --program)
            COMPREPLY=($(compgen -c -- "$cur"))
            return ;;
        --pass-env)
            COMPREPLY=($(compgen -v -- "$cur"))
            return ;;
        --profile|--prompt-timeout|--since|--rule|-n|--lines|-c)
            return ;;
    esac

    case $cmd in
        run)
            COMPREPLY=($(compgen -W "--rules --profile --prompt-timeout --pass-env --seccomp --no-seccomp --strict --no-strict --help --" -- "$cur")) ;;
        check)
            COMPREPLY=($(compgen -W "--rules --profile --json --argv --shell -c --open --delete --rmdir --rename --connect --program --help --" -- "$cur")) ;;
        rules)
            if [ "$cword" -eq 2 ]; then
                COMPREPLY=($(compgen -W "lint list test compile predicates --help" -- "$cur"))
            elif [ "${words[2]}" = compile ]; then
                COMPREPLY=($(compgen -W "--rules --output --help" -- "$cur"))
            elif [ "${words[2]}" = predicates ]; then
                COMPREPLY=($(compgen -W "--help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "--rules --help" -- "$cur"))
            fi ;;
        log)
            COMPREPLY=($(compgen -W "-n --since --rule --decision --json --follow --file --help" -- "$cur")) ;;
        doctor)
            COMPREPLY=($(compgen -W "--rules --help" -- "$cur")) ;;
        shell-init)
            COMPREPLY=($(compgen -W "bash zsh fish --rules --prompt-timeout --end --help" -- "$cur")) ;;
        pending)
            COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
        approve)
            COMPREPLY=($(compgen -W "--word --help" -- "$cur")) ;;
        hook)
            COMPREPLY=($(compgen -W "claude-code --rules --profile --help" -- "$cur")) ;;
    esac
}
complete -F _interlock interlock
