# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# kv_server's latency percentiles per store while the map grows (redis-benchmark,
# pipelined): SET from an empty map, MSET to the end of the key space. Reads
# the two .latency tables kv_report.py writes (first line: column names; n:
# how many stores).
# gnuplot -e "set_data='x.latency'; mset_data='x.mset.latency'; out='x.png'; n=4" bench/plot_kv.gp
set terminal png size 1200,460 font ",10" noenhanced
set output out
set multiplot layout 1,2
set logscale y
set grid ytics
set key top left
set style data linespoints
set xlabel "percentile of the requests (pipelined, 50 clients)"
set ylabel "latency seen by the client, ms (log scale)"
set title "SET: map grows from empty to 1.8M keys"
plot for [i=2:n+1] set_data using i:xtic(1) lw (i == 3 ? 3 : 2) pt (3 + 2 * i) title columnhead(i)
set title "MSET, 10 new keys a request: map grows to 10.7M keys"
plot for [i=2:n+1] mset_data using i:xtic(1) lw (i == 3 ? 3 : 2) pt (3 + 2 * i) title columnhead(i)
unset multiplot
