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
  std::string measure;            // which measurement (a row id of the latency reference's table); default: id
  std::string core_type;          // single-core rows: run on the first pCPU of this core type ("": the board's first)
  std::vector<std::string> pair;  // core-to-core rows: the core types of both ends
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

Json calibration_json(const CalibrationReport& report);

}  // namespace ivsim
