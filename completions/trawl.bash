# bash completion for trawl(1)                             -*- shell-script -*-
#
# Self-contained: it needs bash 4 and none of bash-completion's helpers, so
# that sourcing it alone is enough.  tests/ops/completion.py checks that
# every option of `trawl --help` is listed here.

_trawl_opts_arg='--banner-timeout --baseline --cert-expiry --checkpoint --concurrency --config --ct-url --dns-concurrency
	--exclude --exclude-file --format --host-concurrency --input-file
	--order --output --ports --rate --resolver --resume --retries --seed
	--shard --shards --states --stats-every --stylesheet --subdomains
	--threads
	--timeout --top-ports --wordlist'
_trawl_opts_flag='--banners --dry-run --fail-on-change --help --list-names
	--no-progress --no-stylesheet --progress --quiet --rdns --version'
_trawl_shorts='-4 -6 -c -f -h -i -o -p -q -T -t -V -x'
_trawl_formats='text ndjson xml csv grep changes'
_trawl_states='open closed filtered unreachable unresolved all'

# File names for $1.
_trawl_files()
{
	compopt -o filenames 2>/dev/null
	local IFS=$'\n'
	COMPREPLY=($(compgen -f -- "$1"))
}

# -o [FORMAT:]FILE, the argument so far in $1.  With ':' in
# COMP_WORDBREAKS (the default) "FORMAT:" is gone from $1 by now.
_trawl_output()
{
	local cur=$1 f fmts=()
	if [[ $cur == *:* ]]; then
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -P "${cur%%:*}:" -- "${cur#*:}"))
		return
	fi
	for f in $_trawl_formats; do
		[[ $f == "$cur"* ]] && fmts+=("$f:")
	done
	if [[ ${#fmts[@]} -eq 0 ]]; then
		_trawl_files "$cur"
		return
	fi
	# Not -o filenames: it would quote the ':' of "ndjson:".  No space
	# after "ndjson:", a file name follows; directories get their '/'.
	compopt -o nospace 2>/dev/null
	local IFS=$'\n'
	for f in $(compgen -f -- "$cur"); do
		[[ -d $f ]] && COMPREPLY+=("$f/") || COMPREPLY+=("$f ")
	done
	COMPREPLY+=("${fmts[@]}")
}

_trawl()
{
	local cw=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} sep opt
	COMPREPLY=()

	# With '=' and ':' in COMP_WORDBREAKS (the default), "--opt=value"
	# and "FORMAT:FILE" arrive in pieces: "--opt" "=" "value".  Readline
	# completes only what follows the separator.
	if [[ $cur == = || $cur == : ]]; then
		sep=$cw
		cur=
	elif [[ ${COMP_WORDS[cw - 1]} == = || ${COMP_WORDS[cw - 1]} == : ]]
	then
		sep=$((cw - 1))
	fi
	if [[ -n $sep && ${COMP_WORDS[sep]} == : ]]; then
		# FORMAT:FILE: a file, when it is the argument of -o.
		opt=${COMP_WORDS[sep - 2]}
		[[ $opt == = ]] && opt=${COMP_WORDS[sep - 3]}
		[[ $opt == -o || $opt == --output ]] && _trawl_files "$cur"
		return
	elif [[ -n $sep ]]; then
		opt=${COMP_WORDS[sep - 1]}
	else
		opt=${COMP_WORDS[cw - 1]}
	fi

	# A word after "--" is a target, whatever it looks like.
	local w
	for ((w = 1; w < COMP_CWORD; w++)); do
		[[ ${COMP_WORDS[w]} == -- ]] && {
			COMPREPLY=($(compgen -A hostname -- "$cur"))
			return
		}
	done

	case $opt in
	-i|--input-file|--exclude-file|--wordlist|--resume|--config|--baseline)
		_trawl_files "$cur"
		return
		;;
	-o|--output)
		_trawl_output "$cur"
		return
		;;
	-f|--format)
		COMPREPLY=($(compgen -W "$_trawl_formats" -- "$cur"))
		return
		;;
	--order)
		COMPREPLY=($(compgen -W 'random sequential' -- "$cur"))
		return
		;;
	--states)
		# A comma-separated list: complete its last item.
		local head=
		[[ $cur == *,* ]] && head=${cur%,*},
		COMPREPLY=($(compgen -P "$head" -W "$_trawl_states" -- \
		    "${cur##*,}"))
		return
		;;
	-p|--ports|--top-ports|-c|--concurrency|--host-concurrency|--rate|\
	-T|--threads|-t|--timeout|--retries|--seed|--shard|--shards|\
	--stats-every|--dns-concurrency|--resolver|--ct-url|--subdomains|\
	--cert-expiry|-x|--exclude)
		# A number, a list or an address: nothing to offer.
		return
		;;
	esac

	if [[ $cur == --* ]]; then
		COMPREPLY=($(compgen -W "$_trawl_opts_arg $_trawl_opts_flag" \
		    -- "$cur"))
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_trawl_shorts $_trawl_opts_arg \
		    $_trawl_opts_flag" -- "$cur"))
	else
		COMPREPLY=($(compgen -A hostname -- "$cur"))
	fi
}
complete -F _trawl trawl
