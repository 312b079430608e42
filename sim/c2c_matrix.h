// `ivsim calibrate --c2c-matrix BOARD`: the one-way core-to-core latency of
// every pCPU pair of a board, measured pair by pair with the c2c_pingpong
// tool (as nviennot/core-to-core-latency prints it), with each pCPU's core
// type and the latencies grouped by core-type pair.
#pragma once

#include <string>
#include <vector>

#include "platforms/board.h"
#include "sim/report.h"

namespace ivsim {

struct C2cMatrix {
  std::string board;
  std::string profile;  // the profile the board's CPU runs with
  unsigned iterations = 0;
  std::vector<unsigned> pcpus;                  // in the board's order
  std::vector<std::string> core_types;          // per pCPU, as the profile models it
  std::vector<std::vector<double>> one_way_ns;  // [a][b] by index into pcpus; 0 on the diagonal
};

C2cMatrix measure_c2c_matrix(const Board& board, unsigned iterations = 1000);
std::string c2c_matrix_text(const C2cMatrix& m);
Json c2c_matrix_json(const C2cMatrix& m);

}  // namespace ivsim
