# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Throughput per thread count for two mixes (one panel each).
# gnuplot -e "data='x.scaling'; out='x-scaling.png'" bench/plot_scaling.gp
set terminal png size 900,380 font ",10" noenhanced
set output out
set multiplot layout 1,2
set xlabel "threads"
set ylabel "Mops/s"
set grid
set key top left
set xtics 1
# Boost's line and key entry only when the run had Boost.
stats data index 0 using 3 nooutput
boost_title = STATS_max > 0 ? "boost::concurrent_flat_map" : ""
do for [i=0:1] {
  set title (i == 0 ? "90% find / 5% insert / 5% erase, uniform" : "50% find / 25% insert / 25% erase, uniform")
  # Column 3 (Boost) is 0 when the run had no boost::concurrent_flat_map.
  plot data index i using 1:2 with linespoints lw 3 lc rgb "#3a7bd5" title "tophash", \
       "" index i using 1:($3 > 0 ? $3 : 1/0) with linespoints lw 2 title boost_title, \
       "" index i using 1:4 with linespoints title "tbb::concurrent_hash_map", \
       "" index i using 1:5 with linespoints title "libcuckoo", \
       "" index i using 1:6 with linespoints title "absl+mutex"
}
unset multiplot
