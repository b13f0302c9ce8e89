# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# kv_server's SET latency percentiles per store while the map grows from
# empty (redis-benchmark, pipelined), from the .latency table kv_report.py
# writes (first line: column names; n: how many stores).
# gnuplot -e "data='x.latency'; out='x.png'; n=4" bench/plot_kv.gp
set terminal png size 900,420 font ",10" noenhanced
set output out
set logscale y
set ylabel "SET latency seen by the client, ms (log scale)"
set xlabel "percentile of the requests (pipelined, 50 clients, map growing from empty)"
set grid ytics
set key top left
set style data linespoints
plot for [i=2:n+1] data using i:xtic(1) lw (i == 3 ? 3 : 2) pt (3 + 2 * i) title columnhead(i)
