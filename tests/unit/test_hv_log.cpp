// A debug build's log messages on the hypervisor's serial console
// (models/hv/hv_log.h, ACRN's do_logmsg and uart16550_puts).
#include <string>

#include <catch2/catch.hpp>

#include "models/hv/hv_log.h"

using namespace ivsim;

namespace {

constexpr TimePs kChar = 86'806'000;  // 10 bit times at 115200 baud

HvLogConfig console(unsigned level = 3) { return {true, true, level, kChar}; }

}  // namespace

TEST_CASE("a logged line costs its characters on the serial line, ACRN's prefix and line end included", "[hv_log]") {
  HvLog log(console());
  const TimePs now = 12'345'678'901;  // 12345 us
  const std::string text = "ivshmem_server_notify_peer,target msix entry [3] is masked.\n";
  const TimePs spent = log.log(LogSeverity::error, 2, "vm1:vcpu0", now, text);
  const std::string line = "[12345us][cpu=2][vm1:vcpu0][sev=3][seq=1]:" + text;
  // printf("%s\n\r"), and a '\r' after each of the two '\n'.
  CHECK(spent == (line.size() + 2 + 2) * kChar);
  REQUIRE(log.lines() == 1);
  CHECK(log.busy_ps() == spent);
  CHECK(log.first_lines().at(0) == "[12345us][cpu=2][vm1:vcpu0][sev=3][seq=1]:" + text.substr(0, text.size() - 1));
}

TEST_CASE("only a debug build with a serial console writes, at the console's level or below", "[hv_log]") {
  HvLog release({false, true, 5, kChar});
  CHECK(release.log(LogSeverity::fatal, 0, "vm0:vcpu0", 0, "x") == 0);
  HvLog none({true, false, 5, kChar});
  CHECK(none.log(LogSeverity::fatal, 0, "vm0:vcpu0", 0, "x") == 0);
  CHECK(none.lines() == 0);

  // Level 3 (the sample scenarios'): errors go out, a warning does not, but
  // it still takes a seq (the memory log's level, 5, admits it).
  HvLog log(console(3));
  CHECK(log.log(LogSeverity::warning, 0, "vm0:vcpu0", 0, "w") == 0);
  CHECK(log.log(LogSeverity::error, 0, "vm0:vcpu0", 0, "e") > 0);
  CHECK(log.first_lines().at(0) == "[0us][cpu=0][vm0:vcpu0][sev=3][seq=2]:e");
  CHECK(log.log(LogSeverity::debug, 0, "vm0:vcpu0", 0, "d") == 0);  // beyond every log: no seq
  log.log(LogSeverity::fatal, 0, "vm0:vcpu0", 0, "f");
  CHECK(log.first_lines().at(1) == "[0us][cpu=0][vm0:vcpu0][sev=1][seq=3]:f");
  HvLog warnings(console(4));
  CHECK(warnings.log(LogSeverity::warning, 0, "vm0:vcpu0", 0, "w") > 0);
}

TEST_CASE("a line waits for the one another pCPU is writing, and a message is cut at ACRN's buffer", "[hv_log]") {
  HvLog log(console());
  const TimePs first = log.log(LogSeverity::error, 0, "vm0:vcpu0", 0, "a");
  // Another pCPU logs halfway through: it spins on the lock until the first line is out.
  const TimePs second = log.log(LogSeverity::error, 1, "vm1:vcpu0", first / 2, "b");
  const std::string line_b = "[" + std::to_string(first / 2 / 1'000'000) + "us][cpu=1][vm1:vcpu0][sev=3][seq=2]:b";
  CHECK(second == first - first / 2 + (line_b.size() + 3) * kChar);
  // Later than both: no wait.
  const TimePs third = log.log(LogSeverity::error, 0, "vm0:vcpu0", 10 * first, "c");
  CHECK(third ==
        (std::string("[") + std::to_string(10 * first / 1'000'000) + "us][cpu=0][vm0:vcpu0][sev=3][seq=3]:c").size() *
                kChar +
            3 * kChar);

  HvLog cut(console());
  const TimePs spent = cut.log(LogSeverity::error, 0, "vm0:vcpu0", 0, std::string(1000, 'x'));
  CHECK(spent == (HvLog::kMessageMaxSize - 1 + 3) * kChar);
  CHECK(cut.first_lines().at(0).size() == HvLog::kMessageMaxSize - 1);
}
