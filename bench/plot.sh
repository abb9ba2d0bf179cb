#!/usr/bin/env bash
# Draws a boxoffice-load time series (--timeseries FILE.csv) as one SVG (or PNG, by OUT's
# extension): requests/s and tickets/s, p99 latency and errors, and the RSS of each
# --server-pid, over time. Needs gnuplot (Debian: gnuplot-nox).
# Usage: bench/plot.sh FILE.csv OUT.svg [title]
set -euo pipefail
CSV="$1"; OUT="$2"; TITLE="${3:-$(basename "$CSV" .csv)}"
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
HEADER="$(head -1 "$CSV")"
NCOLS="$(awk -F, '{print NF; exit}' "$CSV")"
case "$OUT" in
  *.png) TERM_LINE="set terminal pngcairo size 1000,900 noenhanced" ;;
  *) TERM_LINE="set terminal svg size 1000,900 dynamic noenhanced background rgb 'white'" ;;
esac
# RSS columns are 7.. (rss_kib_PID); the plot draws each in MiB.
RSS_PLOT=""
for ((c = 7; c <= NCOLS; c++)); do
  name="$(echo "$HEADER" | cut -d, -f"$c")"
  RSS_PLOT+="${RSS_PLOT:+, }'$CSV' skip 1 using 1:(\$$c/1024) with lines lw 2 title 'server RSS (MiB), pid ${name#rss_kib_}'"
done
gnuplot <<GP
$TERM_LINE
set output '$OUT'
set datafile separator ','
set key top left
set grid
set multiplot layout $([ -n "$RSS_PLOT" ] && echo 3 || echo 2),1 title '$TITLE'
set xlabel 'seconds'
set ylabel 'per second'
plot '$CSV' using 1:2 skip 1 with lines lw 2 title 'requests/s', \
     '$CSV' using 1:6 skip 1 with lines lw 2 title 'tickets/s'
set ylabel 'ms'
set y2label 'errors/s'
set y2tics
plot '$CSV' using 1:3 skip 1 with lines lw 2 title 'p99 latency (ms)', \
     '$CSV' using 1:4 skip 1 axes x1y2 with impulses title 'errors/s'
unset y2tics
unset y2label
$([ -n "$RSS_PLOT" ] && printf "set ylabel 'MiB'\nplot %s\n" "$RSS_PLOT")
unset multiplot
GP
echo "wrote $OUT"
