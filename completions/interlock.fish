# fish completion for interlock(1).
# Installed as share/fish/vendor_completions.d/interlock.fish.

set -l commands run check rules log doctor shell-init

complete -c interlock -f
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -l help -d 'Show usage'
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -l version -d 'Show the version'
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -a run -d 'Run a command with every exec checked'
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -a check -d 'Judge one operation without doing it'
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -a rules -d 'Lint, list, test or compile the rules'
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -a log -d 'Show recent decisions'
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -a doctor -d 'Check the installation'
complete -c interlock -n "not __fish_seen_subcommand_from $commands" -a shell-init -d 'Guard an interactive shell'

# options shared by run, check, rules, doctor, shell-init
complete -c interlock -n "__fish_seen_subcommand_from run check rules doctor shell-init" -l rules -r -a '(__fish_complete_directories)' -d 'Add a rule directory'
complete -c interlock -n "__fish_seen_subcommand_from run check" -l profile -r -d 'Activate a profile'
complete -c interlock -n "__fish_seen_subcommand_from run shell-init" -l prompt-timeout -r -d 'Seconds to wait for a confirmation'
complete -c interlock -n "__fish_seen_subcommand_from check" -l json -d 'Print one JSON verdict on stdout'
complete -c interlock -n "__fish_seen_subcommand_from check" -l argv -d 'ARGV is an argument vector'
complete -c interlock -n "__fish_seen_subcommand_from check" -l shell -d 'Judge one shell command line'
complete -c interlock -n "__fish_seen_subcommand_from check" -s c -r -d 'Judge this shell command line'
complete -c interlock -n "__fish_seen_subcommand_from check" -l open -r -a 'read write append truncate create' -d 'Judge an open of PATH'
complete -c interlock -n "__fish_seen_subcommand_from check" -l delete -d 'Judge a delete of PATH'
complete -c interlock -n "__fish_seen_subcommand_from check" -l rmdir -d 'Judge an rmdir of PATH'
complete -c interlock -n "__fish_seen_subcommand_from check" -l rename -d 'Judge a rename FROM TO'
complete -c interlock -n "__fish_seen_subcommand_from check" -l connect -d 'Judge a connect to HOST:PORT'
complete -c interlock -n "__fish_seen_subcommand_from check" -l program -r -a '(__fish_complete_command)' -d 'The program making the call'
complete -c interlock -n "__fish_seen_subcommand_from run" -l pass-env -r -d 'Pass an environment variable'
complete -c interlock -n "__fish_seen_subcommand_from run" -l seccomp -d 'Use the seccomp supervisor (default)'
complete -c interlock -n "__fish_seen_subcommand_from run" -l no-seccomp -d 'Preload only, no seccomp supervisor'
complete -c interlock -n "__fish_seen_subcommand_from run" -l strict -d 'The default: the supervisor judges every open and delete the preload did not'
complete -c interlock -n "__fish_seen_subcommand_from run" -l no-strict -d 'The supervisor judges only execs and connects'
complete -c interlock -n "__fish_seen_subcommand_from run check" -a '(__fish_complete_subcommand --fcs-skip=2)'

complete -c interlock -n "__fish_seen_subcommand_from rules; and not __fish_seen_subcommand_from lint list test compile predicates" -a lint -d 'Report errors as FILE:LINE'
complete -c interlock -n "__fish_seen_subcommand_from rules; and not __fish_seen_subcommand_from lint list test compile predicates" -a list -d 'Show files, overrides and rules'
complete -c interlock -n "__fish_seen_subcommand_from rules; and not __fish_seen_subcommand_from lint list test compile predicates" -a test -d 'Evaluate every example'
complete -c interlock -n "__fish_seen_subcommand_from rules; and not __fish_seen_subcommand_from lint list test compile predicates" -a compile -d 'Write the sessionless snapshot'
complete -c interlock -n "__fish_seen_subcommand_from rules; and not __fish_seen_subcommand_from lint list test compile predicates" -a predicates -d 'List the target predicates'
complete -c interlock -n "__fish_seen_subcommand_from compile" -l output -r -F -d 'Snapshot file'

complete -c interlock -n "__fish_seen_subcommand_from log" -s n -r -d 'Number of records'
complete -c interlock -n "__fish_seen_subcommand_from log" -l since -r -d 'Only since WHEN (10m, 2h, 1d, YYYY-MM-DD)'
complete -c interlock -n "__fish_seen_subcommand_from log" -l rule -r -d 'Only this rule'
complete -c interlock -n "__fish_seen_subcommand_from log" -l decision -r -a 'allowed denied' -d 'Only this decision'
complete -c interlock -n "__fish_seen_subcommand_from log" -l json -d 'Raw JSON lines'
complete -c interlock -n "__fish_seen_subcommand_from log" -s f -l follow -d 'Keep printing new records'
complete -c interlock -n "__fish_seen_subcommand_from log" -l file -r -F -d 'Read this file'

complete -c interlock -n "__fish_seen_subcommand_from shell-init" -a 'bash zsh fish' -d 'Shell'
complete -c interlock -n "__fish_seen_subcommand_from shell-init" -l end -d 'End this dev-shell session'
complete -c interlock -n "__fish_seen_subcommand_from run check rules log doctor shell-init" -l help -d 'Show usage'
