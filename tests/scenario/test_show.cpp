// `ivsim show`: the resolved platform, as text and as JSON, for the shipped
// default and for an ACRN scenario whose VBDFs and Service VM pCPUs the twin
// fills in.
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kData = std::string(IVSIM_TESTS_DIR) + "/data/acrn";

}  // namespace

TEST_CASE("show prints the default scenario's platform: placement, BDFs, BARs, regions") {
  const cli::Result r = cli::ivsim("show");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const std::string& t = r.out;
  CHECK(t.find("scenario industrial-hmi-rt (") == 0);
  CHECK(t.find("board cfl-k700-i7: Intel(R) Core(TM) i7-9700TE CPU @ 1.80GHz, 8 pCPUs, 31954 MiB RAM | timing "
               "coffee-lake-client\n") != std::string::npos);
  // ACRN v3.3's idle loop halts idle pCPUs, but not the passthrough RT VM's.
  // ACRN's page-size-change workaround is on for the i7-9700TE: the RT VM's RAM is in 4 KiB EPT pages.
  CHECK(t.find("\nhypervisor: SCHED_NOOP, idle pCPUs HLT (PAUSE on pCPUs 7: LAPIC passthrough), page-size-change MCE "
               "workaround (RTVMs' RAM in 4 KiB EPT pages)\n") != std::string::npos);
  CHECK(cli::ivsim("show --set hypervisor.idle=PAUSE --set hypervisor.mce_on_psc=false")
            .out.find("\nhypervisor: SCHED_NOOP, idle pCPUs PAUSE\n") != std::string::npos);
  CHECK(t.find("\nVMs\n"
               "  id  name        load order        type                      memory    vCPU->pCPU\n"
               "  0   RT_VM       PRE_LAUNCHED_VM   RTVM (LAPIC passthrough)  512 MiB   0->7\n"
               "  1   Service_VM  SERVICE_VM        STANDARD_VM               2048 MiB  0->0 1->1\n"
               "  2   HMI_VM      POST_LAUNCHED_VM  STANDARD_VM               1024 MiB  0->2\n") != std::string::npos);
  CHECK(t.find("\nIVSHMEM devices\n"
               "  vm      bdf      region      BAR0 registers  BAR1 MSI-X  BAR2 shared memory\n"
               "  RT_VM   00:08.0  hv:/hmi_rt  0x80000000      0x80001000  0x80200000\n"
               "  HMI_VM  00:08.0  hv:/hmi_rt  0x80000000      0x80001000  0x80200000\n") != std::string::npos);
  CHECK(t.find("\nIVSHMEM regions\n"
               "  region      provider    size   id  host physical  members\n"
               "  hv:/hmi_rt  Hypervisor  2 MiB  0   0x7cd000000    RT_VM 00:08.0, HMI_VM 00:08.0\n") !=
        std::string::npos);
  CHECK(t.find("  hmi_command  pingpong  hv:/hmi_rt  initiator HMI_VM vCPU 0 (pCPU 2), responder RT_VM vCPU 0 (pCPU "
               "7)  iterations=20000") != std::string::npos);
}

TEST_CASE("show --json gives the same platform as data") {
  const cli::Result r = cli::ivsim("show --json", false);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["scenario"]["name"] == "industrial-hmi-rt");
  CHECK(j["board"]["name"] == "cfl-k700-i7");
  CHECK(j["timing_profile"] == "coffee-lake-client");
  CHECK(j["hypervisor"]["max_vm_num"] == 16);
  CHECK(j["hypervisor"]["scheduler"] == "SCHED_NOOP");
  CHECK(j["hypervisor"]["idle"] == "HLT");
  // The i7-9700TE is no Atom: ACRN's page-size-change workaround is on.
  CHECK(j["hypervisor"]["ept_force_4k_ipage"]["on"] == true);
  CHECK(j["hypervisor"].size() == 4);
  REQUIRE(j["vms"].size() == 3);
  CHECK(j["vms"][0]["vcpus"] == nlohmann::json::parse(R"([{"vcpu": 0, "pcpu": 7, "idle": "PAUSE"}])"));
  CHECK(j["vms"][2]["vcpus"] == nlohmann::json::parse(R"([{"vcpu": 0, "pcpu": 2, "idle": "HLT"}])"));
  REQUIRE(j["devices"].size() == 2);
  CHECK(j["devices"][0] == nlohmann::json::parse(R"({"vm": "RT_VM", "vm_id": 0, "bdf": "00:08.0",
      "region": "hv:/hmi_rt", "provider": "Hypervisor", "bar0": "0x80000000", "bar1": "0x80001000",
      "bar2": "0x80200000"})"));
  CHECK(j["devices"][1]["vm"] == "HMI_VM");
  CHECK(j["devices"][1]["bar2"] == "0x80200000");
  REQUIRE(j["regions"].size() == 1);
  CHECK(j["regions"][0]["name"] == "hv:/hmi_rt");
  CHECK(j["regions"][0]["size_mib"] == 2);
  CHECK(j["regions"][0]["hpa"] == "0x7cd000000");
  CHECK(j["workloads"][0]["roles"]["responder"] == nlohmann::json::parse(R"({"vm": "RT_VM", "vcpu": 0, "pcpu": 7})"));
  // Deterministic: the same input prints the same bytes.
  CHECK(cli::ivsim("show --json", false).out == r.out);
}

TEST_CASE("show --json and the report list hypervisor.hyperv only when off and service_vm_supervisor only when on") {
  const cli::Result on = cli::ivsim("show --json", false);
  const cli::Result off = cli::ivsim("show --json --set hypervisor.hyperv=false", false);
  REQUIRE(on.status == 0);
  REQUIRE(off.status == 0);
  CHECK_FALSE(nlohmann::json::parse(on.out)["hypervisor"].contains("hyperv"));
  CHECK(nlohmann::json::parse(off.out)["hypervisor"]["hyperv"] == false);
  CHECK_FALSE(nlohmann::json::parse(on.out)["hypervisor"].contains("service_vm_supervisor"));
  const cli::Result supervisor = cli::ivsim("show --json --set hypervisor.service_vm_supervisor=true", false);
  REQUIRE(supervisor.status == 0);
  CHECK(nlohmann::json::parse(supervisor.out)["hypervisor"]["service_vm_supervisor"] == true);
  const cli::RunAndReport r =
      cli::run_and_report("--set workloads[0].params.iterations=1 --set hypervisor.hyperv=false", "hyperv-off.json");
  CHECK(nlohmann::json::parse(r.report)["scenario"]["hypervisor"]["hyperv"] == false);
}

TEST_CASE("show prints the VBDFs and Service VM pCPUs the twin assigned to an ACRN scenario") {
  const cli::Result r = cli::ivsim(
      "show --json --board " + kData + "/board-8cpu.xml --scenario " + kData + "/scenario-hybrid.xml", false);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["vms"][1]["name"] == "ACRN_Service_VM");
  CHECK(j["vms"][1]["vcpus"].size() == 6);
  CHECK(j["vms"][1]["vcpus"][5]["pcpu"] == 5);
  // Devices are listed by VM id, then BDF.
  REQUIRE(j["devices"].size() == 4);
  CHECK(j["devices"][0]["vm"] == "PRE_RT_VM0");
  CHECK(j["devices"][0]["bdf"] == "00:08.0");
  CHECK(j["devices"][1]["vm"] == "PRE_RT_VM0");
  CHECK(j["devices"][1]["region"] == "hv:/shm_region_1");
  CHECK(j["devices"][1]["bdf"] == "00:09.0");  // blank in the file; 00:08.0 is taken in that VM
  CHECK(j["devices"][2]["vm"] == "POST_STD_VM1");
  CHECK(j["devices"][2]["region"] == "hv:/shm_region_0");
  CHECK(j["devices"][2]["bdf"] == "00:08.0");  // blank in the file
  CHECK(j["devices"][3]["bdf"] == "00:0a.0");
  CHECK(j["regions"][1]["members"][0]["vbdf"] == "00:09.0");
  CHECK(j["workloads"].size() == 2);
}

TEST_CASE("show lists the cache allocation: each policy's mask and the ways it selects in that cache") {
  const std::string cat = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios/rt_interference_cat.yaml";
  const cli::Result r = cli::ivsim("show " + cat);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\ncache allocation (RDT on, CDP off, vCAT off)\n"
                   "  cache              pCPUs  vm         vcpu  type     CLOS mask  ways\n"
                   "  L3 id 0 (11 ways)  0-15   RT_VM      0     Unified  0x7f       0-6\n") != std::string::npos);
  CHECK(r.out.find("  L3 id 0 (11 ways)  0-15   Noisy_VM2  0     Unified  0x780      7-10\n") != std::string::npos);
  // A narrower mask selects fewer ways; JSON carries the same.
  const cli::Result n =
      cli::ivsim("show --json " + cat + " --set 'hypervisor.cache_allocation[0].policies[0].clos_mask=0x3'", false);
  REQUIRE(n.status == 0);
  const auto j = nlohmann::json::parse(n.out)["cache_allocation"];
  CHECK(j["rdt"] == true);
  CHECK(j["caches"][0]["capacity_mask_length"] == 11);
  CHECK(j["caches"][0]["policies"][0]["clos_mask"] == "0x3");
  CHECK(j["caches"][0]["policies"][0]["ways"] == "0-1");
  // Without RDT there is no section.
  CHECK(cli::ivsim("show").out.find("cache allocation") == std::string::npos);
  CHECK_FALSE(nlohmann::json::parse(cli::ivsim("show --json", false).out).contains("cache_allocation"));
}

TEST_CASE("show refuses bad input like run: status 2, a located error") {
  const cli::Result r = cli::ivsim("show --set vms[0].cpu_affinity=[42]");
  CHECK(r.status == 2);
  CHECK(r.out == "--set: error: vms[0].cpu_affinity[0]: pCPU 42 does not exist on board cfl-k700-i7 (pCPUs 0-7)\n");
}

// A pre-launched VM's memory as its EPT maps it (prepare_prelaunched_vm_memmap
// of create_prelaunched_vm_e820): [0, 640 KiB), the uncached 384 KiB under
// 1 MiB, RAM to 2 MiB short of its 512 MiB, its last 2 MiB as the ACPI
// tables under 2 GiB; a post-launched VM's as acrn-dm will map it.
TEST_CASE("show lists each User VM's memory: a pre-launched VM's E820 pieces as its EPT maps them") {
  const cli::Result r = cli::ivsim("show");
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(
      r.out.find("\nguest memory\n"
                 "  vm      guest physical         size     host physical  EPT type  EPT leaves\n"
                 "  RT_VM   0x0-0xa0000            640 KiB  0x40000000     WB        4 KiB\n"
                 "  RT_VM   0xa0000-0x100000       384 KiB  0x400a0000     UC        4 KiB\n"
                 "  RT_VM   0x100000-0x1fe00000    509 MiB  0x40100000     WB        4 KiB\n"
                 "  RT_VM   0x7fe00000-0x80000000  2 MiB    0x5fe00000     WB        4 KiB\n"
                 "  HMI_VM  0x0-0x40000000         1 GiB    0x78d000000    WB        mapped by acrn-dm at launch\n") !=
      std::string::npos);
  // Without the page-size-change workaround its RAM has large leaves where
  // both addresses align; past 2 GiB - 20 KiB its rest is at 4 GiB, behind
  // the ACPI tables in host memory: no 2 MiB alignment there, 4 KiB leaves.
  const cli::Result big =
      cli::ivsim("show --json --set vms[0].memory_mib=4096 --set hypervisor.mce_on_psc=false", false);
  REQUIRE(big.status == 0);
  const auto mem = nlohmann::json::parse(big.out)["vms"][0]["guest_memory"];
  REQUIRE(mem.size() == 5);
  CHECK(mem[2]["gpa"] == "0x100000");
  CHECK(mem[2]["bytes"] == 0x7FDF'B000 - 0x10'0000);
  CHECK(mem[2]["ept_leaves"] == nlohmann::json::array({4096, 2 * 1024 * 1024}));
  CHECK(mem[3]["gpa"] == "0x7fe00000");
  CHECK(mem[4]["gpa"] == "0x100000000");
  CHECK(mem[4]["bytes"] == 2 * 1024 * 1024 * 1024ull + 0x5000);
  CHECK(mem[4]["ept_leaves"] == nlohmann::json::array({4096}));
}
