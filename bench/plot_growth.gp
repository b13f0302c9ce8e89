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
set title "Growth without reserve: the slowest inserts (the others' are whole-table rehashes)"
set style data linespoints
# maps: the data's column names after the first (the file's first line).
plot for [i=1:words(maps)] data using (column(i+1)):xtic(1) lw (word(maps, i) eq "tophash" ? 3 : 2) \
     pt (5 + 2 * (i % 3)) title word(names, i)
