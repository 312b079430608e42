// A debug build's serial console (models/hv/hv_log.h) as tests check it:
// every line written, in order, each ending with the text given for it
// (the prefix before it carries the time and pCPU, which vary).
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/hv/hv_log.h"

namespace ivsim::test {

inline void check_console_lines(const HvLog& log, const std::vector<std::string>& endings) {
  REQUIRE(log.lines() == endings.size());
  for (std::size_t i = 0; i < endings.size(); ++i) {
    const std::string& line = log.first_lines().at(i);
    INFO(line);
    REQUIRE(line.size() >= endings[i].size());
    CHECK(line.compare(line.size() - endings[i].size(), std::string::npos, endings[i]) == 0);
  }
}

}  // namespace ivsim::test
