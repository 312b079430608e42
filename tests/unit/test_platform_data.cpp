// Shipped data: boards, timing profiles, the hv-land pool layout.
#include <catch2/catch.hpp>

#include "models/hv/ivshmem_region_pool.h"
#include "platforms/board.h"
#include "platforms/data_dir.h"
#include "platforms/timing_profile.h"

#include <unistd.h>
#include <cstdlib>

using namespace ivsim;

TEST_CASE("every shipped board loads and names a shipped timing profile") {
  const auto boards = board_names();
  REQUIRE(boards.size() >= 2);
  for (const auto& name : boards) {
    const Board b = load_board(name, {});
    CHECK(b.name == name);
    CHECK_FALSE(b.pcpus.empty());
    const TimingProfile p = load_timing_profile(b.timing_profile, {});
    std::size_t expected = 0;
    for (const auto& s : timing_entry_specs()) expected += !s.hybrid || p.hybrid();
    CHECK(p.entries.size() == expected);
    for (const auto& e : p.entries) CHECK_FALSE(e.source.empty());
  }
}

TEST_CASE("an unknown board is a located error naming the shipped ones") {
  try {
    load_board("no-such-board", SourceLocation{"s.yaml", 3, 8});
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).rfind("s.yaml:3:8: error: board: unknown board \"no-such-board\"", 0) == 0);
    CHECK(std::string(e.what()).find("cfl-k700-i7") != std::string::npos);
  }
}

TEST_CASE("timing overrides replace an entry and unknown entries are refused") {
  TimingProfile p = load_timing_profile("coffee-lake-client", {});
  Scenario s;
  s.timing_overrides["dram"] = "80";
  apply_timing_overrides(p, s);
  CHECK(p.find("dram")->value == 80);
  CHECK(p.find("dram")->overridden);
  CHECK(resolve_timing(p).dram_ps == 80000);
  s.timing_overrides = {{"dramm", "80"}};
  CHECK_THROWS_AS(apply_timing_overrides(p, s), ConfigError);
  s.timing_overrides = {{"dram", "fast"}};
  CHECK_THROWS_AS(apply_timing_overrides(p, s), ConfigError);
}

TEST_CASE("cycle entries convert with the profile's clock") {
  const TimingParams t = resolve_timing(load_timing_profile("coffee-lake-client", {}));
  CHECK(t.core_clock.mhz() == 1800);
  CHECK(t.l1_hit_ps == 2222);  // 4 cycles at 1.8 GHz
  CHECK(t.c2c_ps[static_cast<unsigned>(CoreDistance::same_die)] == 21000);
}

TEST_CASE("hv-land regions are packed in configuration order in one 2 MiB-rounded reservation") {
  const std::vector<IvshmemRegionPool::RegionSpec> specs = {{"a", 1, 2 * kMiB}, {"b", 2, 8 * kMiB}, {"c", 3, 2 * kMiB}};
  CHECK(IvshmemRegionPool::reservation_size(specs) == 12 * kMiB);
  IvshmemRegionPool pool(0x7'0000'0000ULL, specs, 16);
  REQUIRE(pool.regions().size() == 3);
  CHECK(pool.regions()[0].hpa == 0x7'0000'0000ULL);
  CHECK(pool.regions()[1].hpa == 0x7'0020'0000ULL);
  CHECK(pool.regions()[2].hpa == 0x7'00A0'0000ULL);
  CHECK(pool.find("hv:/b") == &pool.regions()[1]);
  CHECK(pool.find("b") == nullptr);  // the hypervisor matches the prefixed name
  CHECK(pool.regions()[0].doorbell_peers.size() == 16);
}

TEST_CASE("the hypervisor holds at most 8 hv-land regions") {
  std::vector<IvshmemRegionPool::RegionSpec> specs;
  for (u16 i = 0; i < 9; ++i) specs.push_back({"r" + std::to_string(i), i, 2 * kMiB});
  CHECK_THROWS_AS(IvshmemRegionPool(0x7'0000'0000ULL, specs, 16), std::invalid_argument);
  specs.pop_back();
  CHECK_NOTHROW(IvshmemRegionPool(0x7'0000'0000ULL, specs, 16));
}

TEST_CASE("every timing entry has a range with its unit, and overrides outside it are refused") {
  for (const auto& s : timing_entry_specs()) {
    INFO(s.name);
    CHECK(s.min <= s.max);
    CHECK(std::string(s.unit).size() > 0);
  }
  TimingProfile p = load_timing_profile("coffee-lake-client", {});
  Scenario s;
  auto refused = [&](const std::string& key, const std::string& value) {
    s.timing_overrides = {{key, value}};
    try {
      apply_timing_overrides(p, s);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // Without a range this overflowed the picosecond conversion and made the round trip faster.
  CHECK(refused("c2c_same_die", "1e17").find("must be from 0 to 10000 ns, got 1e+17") != std::string::npos);
  // Without a range this truncated to 0 entries while the report said 4294967296.
  CHECK(refused("dtlb_entries", "4294967296").find("must be a whole number from 0 to 65536 entries, got 4294967296") !=
        std::string::npos);
  CHECK(refused("dtlb_entries", "64.5").find("whole number") != std::string::npos);
  CHECK(refused("core_mhz", "0").find("from 100 to 10000 MHz") != std::string::npos);
  CHECK(refused("mlp", "65").find("from 1 to 64 misses") != std::string::npos);
  CHECK(refused("dram", "nan").find("must be from 1 to 10000 ns") != std::string::npos);
  CHECK(refused("dram", "80").empty());
  CHECK(p.find("dram")->value == 80);
  // validate checks the same without any profile.
  s.timing_overrides = {{"c2c_smt", "-1"}};
  CHECK_THROWS_AS(check_timing_overrides(s), ConfigError);
  s.timing_overrides = {{"c2c_smt", "5"}};
  CHECK_NOTHROW(check_timing_overrides(s));
}

TEST_CASE("fractional cycles convert exactly and nothing wraps past 64 bits") {
  TimingProfile p = load_timing_profile("coffee-lake-client", {});
  Scenario s;
  s.timing_overrides = {{"l2_hit", "12.5"}};
  apply_timing_overrides(p, s);
  CHECK(resolve_timing(p).l2_hit_ps == 6944);  // 12.5 cycles at 1.8 GHz, not 13
  CHECK(ns_to_ps(1e17) == ~u64{0});
  CHECK(ns_to_ps(-5) == 0);
  const Frequency f = Frequency::from_mhz(1000);
  CHECK(f.to_ps(Cycles{u64{1} << 50}) == (u64{1} << 50) * 1000);
  CHECK(f.to_ps(Cycles{~u64{0}}) == ~u64{0});
}

TEST_CASE("a profile value outside its entry's range is a located error in the profile") {
  const std::string dir = "/tmp/ivsim-profile-range-" + std::to_string(getpid());
  REQUIRE(std::system(("mkdir -p " + dir + "/profiles && sed 's/^    value: 1800$/    value: 99999/' " + data_dir() +
                       "/profiles/coffee-lake-client.yaml > " + dir + "/profiles/bad.yaml")
                          .c_str()) == 0);
  setenv("IVSIM_DATA_DIR", dir.c_str(), 1);
  try {
    load_timing_profile("bad", {});
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    CHECK(what.find(dir + "/profiles/bad.yaml:") == 0);
    CHECK(what.find("entries.core_mhz.value: must be a whole number from 100 to 10000 MHz, got 99999") !=
          std::string::npos);
  }
  unsetenv("IVSIM_DATA_DIR");
  std::system(("rm -rf " + dir).c_str());
}
