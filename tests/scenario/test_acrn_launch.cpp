// ACRN 2.x launch files on the command line: --launch merges one into the
// 2.x scenario file it was made for (sim/acrn_launch_xml.h), for run, show
// and validate alike; without that scenario it is a usage error.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kData = std::string(IVSIM_TESTS_DIR) + "/data/acrn/";
const std::string kPair =
    "--board " + kData + "board-8cpu.xml --scenario " + kData + "scenario-2x.xml --launch " + kData + "launch-2x.xml";

}  // namespace

TEST_CASE("an ACRN 2.x scenario runs with its launch file: its memory, RT type and dm-land region reach the report") {
  const std::string report = cli::temp_path("launch.json");
  const cli::Result r = cli::ivsim("run --quiet " + kPair + " --report " + report);
  INFO(r.out);
  REQUIRE(r.status == 0);
  const nlohmann::json j = nlohmann::json::parse(cli::slurp(report));
  const auto& vms = j.at("scenario").at("vms");
  CHECK(vms.at(2).at("name") == "POST_STD_VM1");
  CHECK(vms.at(2).at("memory_mib") == 2048);
  CHECK(vms.at(2).at("cpu_affinity") == nlohmann::json::array({2, 3}));
  CHECK(vms.at(2).at("ovmf") == true);  // vbootloader ovmf: acrn-dm's --ovmf
  // passthrough_devices in the generator's slot order: the GPU at slot 2 first.
  CHECK(vms.at(2).at("pci_devs") == nlohmann::json::array({"00:02.0", "00:14.0"}));
  // Its virtio devices, PCI console and xHCI: ACRN's upgrader does not carry
  // them over from a launch file, so acrn-dm emulates none in the twin.
  CHECK_FALSE(vms.at(2).contains("dm_devices"));
  CHECK_FALSE(vms.at(4).contains("ovmf"));
  CHECK(vms.at(4).at("vm_type") == "RTVM");
  CHECK(vms.at(4).at("lapic_passthrough") == true);
  REQUIRE(j.at("regions").size() == 2);
  CHECK(j.at("regions").at(1).at("name") == "dm:/dm_shm");
  CHECK(j.at("regions").at(1).at("provider") == "Device Model");
  CHECK(j.at("regions").at(1).at("members").size() == 2);
  // The same pair without the launch file: the scenario's own settings.
  const cli::Result plain = cli::ivsim("run --quiet --board " + kData + "board-8cpu.xml --scenario " + kData +
                                       "scenario-2x.xml --report " + report);
  REQUIRE(plain.status == 0);
  const nlohmann::json p = nlohmann::json::parse(cli::slurp(report));
  CHECK(p.at("scenario").at("vms").at(2).at("memory_mib") == 1024);  // ACRN schema default
  CHECK(p.at("regions").size() == 1);
}

TEST_CASE("validate and show take the launch file too") {
  cli::Result r = cli::ivsim("validate --board " + kData + "board-8cpu.xml --launch " + kData + "launch-2x.xml " +
                             kData + "scenario-2x.xml");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("scenario-2x.xml: ok (scenario scenario-2x)") != std::string::npos);
  r = cli::ivsim("show " + kPair);
  CHECK(r.status == 0);
  CHECK(r.out.find("dm:/dm_shm") != std::string::npos);
  // With --ovmf, acrn-dm puts POST_STD_VM1's BAR2s above 256 GiB; POST_RT_VM3's small one stays below 4 GiB.
  CHECK(r.out.find("  POST_STD_VM1  00:08.0  hv:/shm_region_0  0x80000000      0x80001000  0x4000000000\n"
                   "  POST_STD_VM1  00:09.0  dm:/dm_shm        0x80002000      -           0x4000400000\n"
                   "  POST_RT_VM3   00:08.0  dm:/dm_shm        0x80000000      -           0x80400000\n") !=
        std::string::npos);
}

TEST_CASE("a launch file without its ACRN scenario is refused with status 2") {
  cli::Result r = cli::ivsim("run --launch " + kData + "launch-2x.xml");
  CHECK(r.status == 2);
  CHECK(r.out.find("--launch: error: --launch goes with the ACRN 2.x scenario file it was made for") !=
        std::string::npos);
  r = cli::ivsim("validate --launch " + kData + "launch-2x.xml " + std::string(IVSIM_TESTS_DIR) +
                 "/../platforms/scenarios/default.yaml");
  CHECK(r.status == 2);
  CHECK(r.out.find("--launch goes with the ACRN 2.x scenario file it was made for, not with") != std::string::npos);
  // A launch file's error names its element and line, status 2, no report.
  const std::string report = cli::temp_path("bad-launch.json");
  std::remove(report.c_str());
  const std::string bad = cli::temp_path("bad-launch.xml");
  { std::ofstream(bad) << "<acrn-config user_vm_launcher=\"1\">\n  <user_vm id=\"9\"/>\n</acrn-config>\n"; }
  r = cli::ivsim("run --board " + kData + "board-8cpu.xml --scenario " + kData + "scenario-2x.xml --launch " + bad +
                 " --report " + report);
  CHECK(r.status == 2);
  CHECK(r.out.find(bad + ":2:16: error: user_vm[0]/@id: user VM 9 is VM id 10") != std::string::npos);
  CHECK_FALSE(std::ifstream(report).good());
}
