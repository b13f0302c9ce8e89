# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Churn at steady size 2^20: ns per erase+insert pair in successive windows
# of 2M pairs, from the .churn table report.py writes. Flat lines: nothing
# accumulates and nothing pauses.
# gnuplot -e "data='x.churn'; out='x-churn.png'" bench/plot_churn.gp
set terminal png size 900,380 font ",10" noenhanced
set output out
set xlabel "window of 2M erase+insert pairs"
set ylabel "ns per pair"
set yrange [0:*]
set grid
set key bottom right
set title "Churn over time at steady size 2^20"
set style data linespoints
# maps: the data's column names after the first (the file's first line).
plot for [i=1:words(maps)] data using 1:(column(i+1)) lw (word(maps, i) eq "tophash" ? 3 : 2) \
     pt (5 + 2 * (i % 3)) title word(names, i)
