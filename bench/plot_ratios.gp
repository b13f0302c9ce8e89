# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Bar chart of tophash / absl::flat_hash_map time ratios (log scale; 1 = same speed).
# gnuplot -e "data='x.ratios'; out='x.png'" bench/plot_ratios.gp
set terminal png size 900,420 font ",10" noenhanced
set output out
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set logscale y
set yrange [0.01:10]
set ylabel "tophash time / absl time (lower is better)"
set xtics rotate by -35 scale 0
set grid ytics
set key off
set title "tophash::concurrent_map vs absl::flat_hash_map, one thread"
plot data using 2:xtic(1) lc rgb "#3a7bd5", 1 with lines lc rgb "#d53a3a" lw 2
