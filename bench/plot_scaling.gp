# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Throughput per thread count for two mixes (one panel each), with the
# runs' half range as error bars.
# gnuplot -e "data='x.scaling'; out='x-scaling.png'" bench/plot_scaling.gp
set terminal png size 900,380 font ",10" noenhanced
set output out
set multiplot layout 1,2
set xlabel "threads"
set ylabel "Mops/s"
set grid
# Headroom above the lines for the key.
set key top left reverse Left
set offsets 0, 0, graph 0.45, 0
# Fixed margins: both panels the same width.
set lmargin 8
set rmargin 3
set logscale x 2
set xtics ("1" 1, "2" 2, "4" 4, "8" 8, "16" 16, "32" 32)
# Boost's line and key entry only when the run had Boost.
stats data index 0 using 3 nooutput
boost_title = STATS_max > 0 ? "boost::concurrent_flat_map" : ""
do for [i=0:1] {
  set title (i == 0 ? "90% find / 5% insert / 5% erase, uniform" : "50% find / 25% insert / 25% erase, uniform")
  # Columns 2-6: medians (column 3, Boost, is 0 when the run had no
  # boost::concurrent_flat_map); 7-11: half the range of the runs.
  plot data index i using 1:2:7 with yerrorlines lw 3 lc rgb "#3a7bd5" title "tophash", \
       "" index i using 1:($3 > 0 ? $3 : 1/0):8 with yerrorlines lw 2 title boost_title, \
       "" index i using 1:4:9 with yerrorlines title "tbb::concurrent_hash_map", \
       "" index i using 1:5:10 with yerrorlines title "libcuckoo", \
       "" index i using 1:6:11 with yerrorlines title "absl+mutex"
}
unset multiplot
