// `ivsim calibrate`: run the in-twin measurement tools on a timing profile
// and compare each result with the published figure it must reproduce (the
// validation table, platforms/calibration/<profile>.yaml).
#pragma once

#include <string>
#include <vector>

#include "platforms/board.h"
#include "sim/report.h"

namespace ivsim {

struct CalibrationRow {
  std::string id;
  std::string quantity;
  std::string unit;
  std::string source;
  std::string consistency;  // non-empty: checked against other rows, not a published figure
  double expected_lo = 0, expected_hi = 0;
  double tolerance = 0;                 // relative
  double tolerance_abs = -1;            // absolute, when >= 0
  double accept_lo = 0, accept_hi = 0;  // the window the measurement must fall in
  double measured = 0;
  bool measured_ok = false;  // the measurement ran
  std::string detail;        // what was measured, or why it could not be
  bool pass = false;
};

struct CalibrationReport {
  std::string profile;
  std::string board;
  std::vector<CalibrationRow> rows;
  bool all_pass() const {
    for (const auto& r : rows)
      if (!r.pass) return false;
    return true;
  }
};

// Profiles that have a calibration table, sorted.
std::vector<std::string> calibrated_profiles();
// Throws ConfigError for an unknown profile.
CalibrationReport calibrate(const std::string& profile);
std::string calibration_table(const CalibrationReport& report);

// The core-to-core matrix of a board, measured pair by pair with the
// c2c_pingpong tool (as nviennot/core-to-core-latency prints it).
std::string c2c_matrix(const Board& board, unsigned iterations = 1000);

Json calibration_json(const CalibrationReport& report);

}  // namespace ivsim
