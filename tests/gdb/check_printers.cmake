# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Runs GDB on tests/gdb/printers_target.cpp and checks what the printers that
# the program carries in .debug_gdb_scripts print. Nothing is sourced by hand:
# the printers must arrive by auto-load, as a user's would.
#   cmake -DGDB=gdb -DPROGRAM=path -P check_printers.cmake
execute_process(
  COMMAND ${GDB} -batch -nx
    -iex "add-auto-load-safe-path ${PROGRAM}"
    -ex "break stop_here" -ex "run" -ex "up"
    -ex "info pretty-printer"
    -ex "print map" -ex "print set" -ex "print node_map" -ex "print node_set"
    -ex "print empty" -ex "print growing_size" -ex "set print elements 3" -ex "print growing"
    -ex "print chained_size" -ex "set print elements 200" -ex "print chained"
    ${PROGRAM}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gdb failed (${rc}): ${err}")
endif()

set(failures 0)
function(expect what regex)
  if(NOT out MATCHES "${regex}")
    message(SEND_ERROR "printers: ${what}: no match for ${regex}")
  endif()
endfunction()

set(slots "buckets 1 x [0-9]+ slots")
set(tag "full 0x[0-9a-f][0-9a-f]")
expect("auto-loaded" "objfile [^\n]*printers_target pretty-printers:\n  tophash\n")
expect("map" "\\$1 = tophash::concurrent_map<unsigned long, unsigned long> with 3 elements, ${slots}, load [0-9.]+ = {\\[b0\\.0 ${tag}\\] = {first = 1, second = 10}, \\[b0\\.1 ${tag}\\] = {first = 2, second = 20}, \\[b0\\.2 ${tag}\\] = {first = 3, second = 30}}")
expect("set" "\\$2 = tophash::concurrent_set<std::string> with 2 elements, ${slots}, load [0-9.]+ = {\\[b0\\.0 ${tag}\\] = \"alpha\", \\[b0\\.1 ${tag}\\] = \"beta\"}")
expect("node map" "\\$3 = tophash::concurrent_node_map<std::string, std::string> with 1 elements, ${slots}, load [0-9.]+ = {\\[b0\\.0 ${tag}\\] = {first = \"key\", second = \"value\"}}")
expect("node set" "\\$4 = tophash::concurrent_node_set<int> with 1 elements, ${slots}, load [0-9.]+ = {\\[b0\\.0 ${tag}\\] = 7}")
expect("empty" "\\$5 = tophash::concurrent_map<int, int> with 0 elements, no buckets\n")

# During a resize: the size the printer computes from the stripe counts is
# the program's own size(); old-array elements come first, marked.
if(NOT out MATCHES "\\$6 = ([0-9]+)\n")
  message(FATAL_ERROR "printers: no growing_size")
endif()
set(n ${CMAKE_MATCH_1})
expect("resizing" "\\$7 = tophash::concurrent_map<int, int> with ${n} elements, buckets 128 x [0-9]+ slots, load [0-9.]+, resizing from 64 buckets: ([1-9]|10) of 64 old buckets evacuated = {\\[old b[0-9]+\\.[0-9]+ ${tag}\\] = {first = [0-9]+, second = [0-9]+}, [^\n]*\\.\\.\\.}")

# One chain of 20 (the map grew to 2 buckets, all keys in one): the head
# bucket's 16 slots, then 4 in its overflow bucket.
if(NOT out MATCHES "\\$8 = 20\n")
  message(SEND_ERROR "printers: chained_size is not 20")
endif()
expect("overflow" "\\$9 = tophash::concurrent_map<int, int> with 20 elements, buckets 2 x [0-9]+ slots, [^\n]*\\[b[01]\\.15 ${tag}\\] = {first = 15, second = -15}, \\[b[01]\\+1\\.0 ${tag}\\] = {first = 16, second = -16}, [^\n]*\\[b[01]\\+1\\.3 ${tag}\\] = {first = 19, second = -19}}")
