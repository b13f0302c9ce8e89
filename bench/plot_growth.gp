# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Latency of single inserts while inserting 2^23 keys into an empty map:
# percentiles per map (log scale), from the .growth table report.py writes.
# gnuplot -e "data='x.growth'; out='x-growth.png'" bench/plot_growth.gp
set terminal png size 900,420 font ",10" noenhanced
set output out
set logscale y
set format y "1e%L"
set ylabel "single-insert latency, ns (log scale)"
set xlabel "percentile of 2^23 inserts"
set grid ytics
set key top left
set title "Growth without reserve: the slowest inserts (absl's and Boost's are whole-table rehashes)"
set style data linespoints
plot data using 2:xtic(1) lw 2 pt 7 title "absl::flat_hash_map", \
     "" using 3 lw 2 pt 5 title "boost::unordered_flat_map", \
     "" using 4 lw 3 pt 9 lc rgb "#3a7bd5" title "tophash::concurrent_map"
