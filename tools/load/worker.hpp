// A worker process: runs its slice of the users / connections / sockets on one thread and talks
// to the parent over its stdin and stdout, one JSON object a line.
//
//   parent -> worker (stdin):  the Plan; "go"; {"sent":[ns,...]} (sockets mode); "stop"
//   worker -> parent (stdout): {"ready":{...}}; {"tick":{...}} once a second;
//                              {"result":Report::to_wire()}; {"fatal":"..."}
#pragma once

#include "options.hpp"

namespace load {

int run_worker(const Options& o);

}  // namespace load
