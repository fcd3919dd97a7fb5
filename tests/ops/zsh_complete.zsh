# Complete a command line in an interactive zsh on a pseudo-terminal and
# write the edited line to a file: zsh -f zsh_complete.zsh FPATH_DIR OUT LINE
#
# The line goes in with TAB and then ^X, bound to a widget that writes
# $BUFFER; keys are handled in order, so the file appears once completion
# is done, and no sleep has to guess how long that takes.
zmodload zsh/zpty 2>/dev/null || exit 77
dir=$1 out=$2 line=$3
zpty -b z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "trawl() { :; }; dumpbuf() { print -r -- \"\$BUFFER\" > ${(q)out}; }"
zpty -w z "zle -N dumpbuf; bindkey '^X' dumpbuf"
zpty -w -n z "$line"$'\t\C-x'
for i in {1..300}; do
	[[ -s $out ]] && break
	sleep 0.1
done
zpty -d z
[[ -s $out ]]
