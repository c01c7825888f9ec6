# Shell features across processes; run by bash and by busybox sh, natively
# and under Gophene. Paths are relative to a scratch directory ($1).
cd "$1" || exit 1
seq 1 1000 | grep 7 | sort -r | head -3
echo hello > out.txt; cat < out.txt; echo more >> out.txt; wc -l < out.txt
echo to-stderr 1>&2 2>/dev/null
{ echo grouped; echo also; } | tr a-z A-Z
cat <<END
here-document $((6 * 7)) $(echo substituted)
END
x=$(echo sub; echo two); echo "[$x]"
(cd /; pwd; exit 4); echo "subshell status $?"
sleep 0.1 & p=$!; wait $p; echo "waited $?"
( sleep 0.05; exit 6 ) & wait $!; echo "background status $?"
(trap 'echo exit trap ran' EXIT; echo in subshell)
sh -c 'kill -TERM $$'; echo "killed child status $?"
sh -c 'trap "echo caught TERM; exit 9" TERM; kill -TERM $$; echo not reached'; echo "trap status $?"
yes | head -1; echo "yes|head status $?"
for i in 1 2 3; do echo "loop $i" > bg$i.txt & done; wait; cat bg1.txt bg2.txt bg3.txt
printf '%s\n' c a b | sort | tr '\n' ' '; echo
echo "$(echo "$(echo nested)")"
read -r line < out.txt; echo "read: $line"
exec 3> fd3.txt; echo via-fd3 >&3; exec 3>&-; cat fd3.txt
false || echo "or-list ran"; true && echo "and-list ran"
if grep -q hello out.txt; then echo found; fi
case "$(uname -s)" in Linux) echo linux;; *) echo other;; esac
echo done
