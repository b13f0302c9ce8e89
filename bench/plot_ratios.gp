# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Bars of tophash's time as a multiple of absl::flat_hash_map's and of
# boost::concurrent_flat_map's (column 3; 0 when the run had no Boost), on a
# linear axis around 1 (= same speed): a log axis made 1.1 and 1.8 look alike.
# Bars past the top are cut and labelled with their value. Error bars: the
# ratio's spread (report.py).
# gnuplot -e "data='x.ratios'; out='x.png'" bench/plot_ratios.gp
set terminal png size 1000,460 font ",10" noenhanced
set output out
set style data histograms
# Error bars: columns 4 and 5, the ratios' spreads from the repetitions.
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
top = 3.0
set yrange [0:top]
set ytics 0.25
set ylabel "tophash time / peer time (lower is better)"
set xtics rotate by -35 scale 0
set grid ytics
# The key above the plot: inside, the labels of clipped bars fell on it.
set key outside top center horizontal
set title "tophash::concurrent_map, one thread: time relative to each peer"
# Boost's bars and key entry only when the run had Boost.
stats data using 3 nooutput
boost_title = STATS_max > 0 ? "/ boost::concurrent_flat_map" : ""
plot data using ($2 < top ? $2 : top):($2 < top ? $4 : 0):xtic(1) lc rgb "#3a7bd5" \
         title "/ absl::flat_hash_map", \
     "" using ($3 > 0 ? ($3 < top ? $3 : top) : 0):($3 < top ? $5 : 0) lc rgb "#e0a030" \
         title boost_title, \
     "" using ($0 - 0.18):($2 >= top ? top - 0.1 : 1/0):(sprintf("%.1f", $2)) with labels notitle, \
     "" using ($0 + 0.18):($3 >= top ? top - 0.3 : 1/0):(sprintf("%.1f", $3)) with labels notitle, \
     1 with lines lc rgb "#d53a3a" lw 2 notitle
