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
plot data using 1:2 lw 2 pt 7 title "absl::flat_hash_map", \
     "" using 1:3 lw 2 pt 5 title "boost::unordered_flat_map", \
     "" using 1:4 lw 3 pt 9 lc rgb "#3a7bd5" title "tophash::concurrent_map"
