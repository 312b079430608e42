// The YAML scenario loader: the shipped default, --set overrides, and a corpus
// of malformed scenarios, each pinned to its exact located error text.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "platforms/board.h"
#include "platforms/data_dir.h"
#include "sim/scenario_loader.h"
#include "sim/suggest.h"
#include "tests/support/fuzz_inputs.h"

using namespace ivsim;

namespace {

// A small valid scenario; the corpus below mutates one spot of it, so the
// line numbers in the expected errors refer to this text.
const char* const kBase = R"(name: t
board: cfl-k700-i7
hypervisor:
  max_vm_num: 16
  scheduler: SCHED_NOOP
vms:
  - id: 0
    name: RT_VM
    load_order: PRE_LAUNCHED_VM
    vm_type: RTVM
    cpu_affinity: [3]
    memory_mib: 512
    lapic_passthrough: true
  - id: 1
    name: Service_VM
    load_order: SERVICE_VM
    cpu_affinity: [0, 1]
    memory_mib: 2048
  - id: 2
    name: HMI_VM
    load_order: POST_LAUNCHED_VM
    cpu_affinity: [2]
    memory_mib: 1024
ivshmem:
  - name: shm
    provider: Hypervisor
    size_mib: 2
    members:
      - { vm: RT_VM, vbdf: "00:08.0" }
      - { vm: HMI_VM, vbdf: "00:08.0" }
workloads:
  - name: w
    kind: pingpong
    region: shm
    roles:
      initiator: { vm: HMI_VM, vcpu: 0 }
      responder: { vm: RT_VM }
    params:
      iterations: 100
run:
  seed: 1
  quantum_ns: 1000
)";

std::string mutate(const std::string& find, const std::string& replace) {
  std::string s = kBase;
  const auto pos = s.find(find);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, find.size(), replace);
}

// Eight more Hypervisor regions (nine in all), each shared by RT_VM and HMI_VM.
std::string nine_hv_regions() {
  std::string extra = "ivshmem:\n";
  for (int i = 1; i <= 8; ++i) {
    const std::string dev = std::to_string(10 + i);  // 11..18: distinct, valid for post-launched
    extra += "  - { name: r" + std::to_string(i) + ", size_mib: 2, members: [{ vm: RT_VM, vbdf: \"00:" + dev +
             ".0\" }, { vm: HMI_VM, vbdf: \"00:" + dev + ".0\" }] }\n";
  }
  return mutate("ivshmem:\n", extra);
}

std::string load_error(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  test::dump_fuzz_seed("scenario_yaml", yaml);
  if (!sets.empty()) {
    std::string lines;
    for (const auto& s : sets) lines += s + "\n";
    test::dump_fuzz_seed("set_assignments", lines);
  }
  std::vector<std::string> warnings;
  try {
    load_scenario_text(yaml, "bad.yaml", sets, &warnings);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

struct BadCase {
  const char* what;
  std::string yaml;
  std::vector<std::string> sets;
  std::string error;
};

}  // namespace

TEST_CASE("scenario loader: the shipped default scenario loads", "[scenario_loader]") {
  std::vector<std::string> warnings;
  const Scenario s = load_scenario_file(default_scenario_path(), {}, &warnings);
  CHECK(warnings.empty());
  CHECK(s.source_file == default_scenario_path());
  CHECK(s.name == "industrial-hmi-rt");
  CHECK(s.board == "cfl-k700-i7");
  CHECK(s.max_vm_num == 16);
  CHECK(s.scheduler == "SCHED_NOOP");
  CHECK(s.idle == "HLT");  // ACRN v3.3's cpu_do_idle

  REQUIRE(s.vms.size() == 3);
  CHECK(s.vms[0].id == 0);
  CHECK(s.vms[0].name == "RT_VM");
  CHECK(s.vms[0].load_order == LoadOrder::pre_launched);
  CHECK(s.vms[0].vm_type == "RTVM");
  CHECK(s.vms[0].pcpus == std::vector<unsigned>{7});
  CHECK(s.vms[0].memory_mib == 512);
  CHECK(s.vms[0].lapic_passthrough);
  CHECK(s.vms[1].name == "Service_VM");
  CHECK(s.vms[1].load_order == LoadOrder::service_vm);
  CHECK(s.vms[1].vm_type == "STANDARD_VM");  // default
  CHECK(s.vms[1].pcpus == std::vector<unsigned>{0, 1});
  CHECK_FALSE(s.vms[1].lapic_passthrough);  // default
  CHECK(s.vms[2].name == "HMI_VM");
  CHECK(s.vms[2].load_order == LoadOrder::post_launched);
  CHECK(s.find_vm("HMI_VM") == &s.vms[2]);

  REQUIRE(s.regions.size() == 1);
  const RegionConfig& r = s.regions[0];
  CHECK(r.name == "hmi_rt");
  CHECK(r.provider == Provider::hypervisor);
  CHECK(r.size_mib == 2);
  CHECK(r.region_id == 0);
  REQUIRE(r.members.size() == 2);
  CHECK(r.members[0].vm == "RT_VM");
  CHECK(r.members[0].vbdf.to_string() == "00:08.0");
  CHECK(r.members[1].vm == "HMI_VM");
  CHECK(r.members[1].vbdf == pci::Bdf{0, 8, 0});

  REQUIRE(s.workloads.size() == 1);
  const WorkloadConfig& w = s.workloads[0];
  CHECK(w.name == "hmi_command");
  CHECK(w.kind == "pingpong");
  CHECK(w.region == "hmi_rt");
  REQUIRE(w.roles.size() == 2);
  CHECK(w.roles.at("initiator").vm == "HMI_VM");
  CHECK(w.roles.at("responder").vm == "RT_VM");
  CHECK(w.roles.at("responder").vcpu == 0);
  CHECK(w.params.at("iterations").i == 20000);
  CHECK(w.params.at("message_bytes").i == 64);
  CHECK(w.params.at("response_compute_cycles").i == 500);
  CHECK(w.params.at("warmup").i == 10);  // default filled in
  CHECK(w.params.at("warmup").type == ParamValue::Type::integer);

  CHECK(s.run.seed == 1);
  CHECK(s.run.quantum_ns == 1000);

  CHECK(s.where("run.quantum_ns").file == default_scenario_path());
}

TEST_CASE("scenario loader: records where every field was read", "[scenario_loader]") {
  const Scenario s = load_scenario_text(kBase, "base.yaml", {});
  auto loc = [&](const std::string& path) {
    const SourceLocation w = s.where(path);
    return w.file + ":" + std::to_string(w.line) + ":" + std::to_string(w.column);
  };
  CHECK(loc("name") == "base.yaml:1:7");
  CHECK(loc("vms[0].cpu_affinity") == "base.yaml:11:19");
  CHECK(loc("vms[0].cpu_affinity[0]") == "base.yaml:11:20");
  CHECK(loc("ivshmem[0].members[1].vbdf") == "base.yaml:30:29");
  CHECK(loc("workloads[0].roles.initiator.vcpu") == "base.yaml:36:38");
  CHECK(loc("workloads[0].params.iterations") == "base.yaml:39:19");
  CHECK(loc("run.quantum_ns") == "base.yaml:42:15");
  // Defaulted fields point at the mapping they would have been written in.
  CHECK(loc("vms[1].vm_type") == "base.yaml:14:5");
  CHECK(loc("workloads[0].params.warmup") == "base.yaml:39:7");
  CHECK(loc("workloads[0].roles.responder.vcpu") == "base.yaml:37:18");
  // Never read: the file, without a line.
  CHECK(loc("no.such.field") == "base.yaml:0:0");
}

TEST_CASE("scenario loader: --set overrides apply before validation", "[scenario_loader]") {
  const Scenario s = load_scenario_file(default_scenario_path(),
                                        {"run.seed=7", "vms[0].memory_mib=256", "workloads.0.params.iterations=5"});
  CHECK(s.run.seed == 7);
  CHECK(s.vms[0].memory_mib == 256);
  CHECK(s.workloads[0].params.at("iterations").i == 5);
  CHECK(s.where("run.seed").file == "--set");
  CHECK(s.where("run.seed").line == 0);
  CHECK(s.where("run.quantum_ns").file == default_scenario_path());

  SECTION("later sets win, flow sequences and mappings are values") {
    const Scenario t = load_scenario_text(kBase, "base.yaml",
                                          {"run.seed=3", "run.seed=0x10", "vms[2].cpu_affinity=[4, 5]",
                                           "timing={profile: tiger-lake-client, overrides: {llc_hit: 12}}"});
    CHECK(t.run.seed == 16);
    CHECK(t.vms[2].pcpus == std::vector<unsigned>{4, 5});
    CHECK(t.timing_profile == "tiger-lake-client");
    CHECK(t.timing_overrides.at("llc_hit") == "12");
    CHECK(t.where("timing.overrides.llc_hit").file == "--set");
  }
  SECTION("pci_devs, pci_vuarts and ovmf: read, and checked") {
    const Scenario t = load_scenario_text(
        kBase, "base.yaml", {"vms[0].pci_devs=[\"00:1f.6\", \"01:00.0\"]", "vms[0].pci_vuarts=2", "vms[2].ovmf=true"});
    REQUIRE(t.vms[0].pci_devs.size() == 2);
    CHECK(t.vms[0].pci_devs[1].to_string() == "01:00.0");
    CHECK(t.vms[0].pci_vuarts == 2);
    CHECK(t.vms[2].ovmf);
    CHECK(load_error(kBase, {"vms[0].ovmf=true"})
              .find("vms[0].ovmf: OVMF boots a post-launched VM (acrn-dm's --ovmf); this VM is PRE_LAUNCHED_VM") !=
          std::string::npos);
    CHECK(load_error(kBase, {"vms[0].pci_devs=[\"00:1f.6\", \"00:1f.6\"]"})
              .find("vms[0].pci_devs[1]: device 00:1f.6 is already vms[0].pci_devs[0]") != std::string::npos);
    CHECK(load_error(kBase, {"vms[0].pci_devs=[1f.6]"}).find("vms[0].pci_devs[0]: expected the BDF") !=
          std::string::npos);
    // pci_config.xsd: one VM per device.
    const std::string twice = load_error(kBase, {"vms[0].pci_devs=[\"00:1f.6\"]", "vms[2].pci_devs=[\"00:1f.6\"]"});
    CHECK(twice.find("vms[2].pci_devs[0]: device 00:1f.6 is already passed through to VM") != std::string::npos);
    CHECK(twice.find("(vms[0].pci_devs[0]); a device goes to one VM only") != std::string::npos);
    CHECK(load_error(kBase, {"vms[0].pci_vuarts=65"}).find("vms[0].pci_vuarts") != std::string::npos);
  }
  SECTION("dm_devices: read, and checked") {
    const Scenario t =
        load_scenario_text(kBase, "base.yaml", {"vms[2].dm_devices=[virtio-blk, {kind: uart, vbdf: \"00:05.0\"}]"});
    REQUIRE(t.vms[2].dm_devices.size() == 2);
    CHECK(t.vms[2].dm_devices[0].kind == "virtio-blk");
    CHECK_FALSE(t.vms[2].dm_devices[0].vbdf);
    CHECK(t.vms[2].dm_devices[1].vbdf->to_string() == "00:05.0");
    CHECK(load_error(kBase, {"vms[0].dm_devices=[virtio-blk]"})
              .find("vms[0].dm_devices: acrn-dm emulates devices for post-launched VMs only") != std::string::npos);
    const std::string unknown_kind = load_error(kBase, {"vms[2].dm_devices=[virtio-bk]"});
    CHECK(unknown_kind.find("vms[2].dm_devices[0]: unknown acrn-dm device") != std::string::npos);
    CHECK(unknown_kind.find("virtio-blk") != std::string::npos);
    CHECK(load_error(kBase, {"vms[2].dm_devices=[{kind: uart, vbdf: \"00:02.0\"}]"})
              .find("vms[2].dm_devices[0].vbdf: expected a VBDF") != std::string::npos);
    // The IVSHMEM device's VBDF is the vUART's already.
    CHECK(load_error(kBase, {"vms[2].dm_devices=[{kind: uart, vbdf: \"00:08.0\"}]"})
              .find("is already used in VM \"HMI_VM\" by vms[2].dm_devices[0]") != std::string::npos);
    // An IVSHMEM device left without a VBDF skips the one the vUART holds.
    const Scenario assigned = load_scenario_text(
        kBase, "base.yaml", {"vms[2].dm_devices=[{kind: uart, vbdf: \"00:08.0\"}]", "ivshmem[0].members[1].vbdf=\"\""});
    CHECK(assigned.regions[0].members[1].vbdf.to_string() == "00:09.0");
  }
  SECTION("missing mapping levels are created") {
    const Scenario t = load_scenario_text(mutate("run:\n  seed: 1\n  quantum_ns: 1000\n", ""), "base.yaml",
                                          {"run.seed=9", "timing.overrides.dram=80"});
    CHECK(t.run.seed == 9);
    CHECK(t.run.quantum_ns == 1000);
    CHECK(t.timing_overrides.at("dram") == "80");
  }
  SECTION("an index may select a list item in either form") {
    const Scenario t = load_scenario_text(kBase, "base.yaml", {"ivshmem.0.members[1].vbdf=00:09.0"});
    CHECK(t.regions[0].members[1].vbdf.to_string() == "00:09.0");
  }
}

TEST_CASE("scenario loader: a VM name may hold '-', as ACRN's VMNameType allows", "[scenario_loader]") {
  std::string yaml = kBase;
  for (std::size_t at; (at = yaml.find("HMI_VM")) != std::string::npos;) yaml.replace(at, 6, "Linux-VM-1");
  const Scenario s = load_scenario_text(yaml, "dash.yaml", {});
  CHECK(s.vms[2].name == "Linux-VM-1");
}

TEST_CASE("scenario loader: optional fields take their defaults", "[scenario_loader]") {
  const std::string yaml = R"(name: minimal
board: cfl-k700-i7
vms:
  - { id: 0, name: A, load_order: PRE_LAUNCHED_VM, cpu_affinity: [1], memory_mib: 64 }
  - { id: 0x2, name: B, load_order: POST_LAUNCHED_VM, cpu_affinity: [2], memory_mib: 64 }
  - { id: 1, name: S, load_order: SERVICE_VM, cpu_affinity: [0], memory_mib: 2048 }
ivshmem:
  - name: r
    provider: Device Model
    size_mib: 512
    region_id: 4096
    members: [{ vm: B, vbdf: "0:1e.0" }]
)";
  std::vector<std::string> warnings;
  const Scenario s = load_scenario_text(yaml, "min.yaml", {}, &warnings);
  CHECK(s.max_vm_num == 16);
  CHECK(s.scheduler == "SCHED_NOOP");
  CHECK(s.vms[1].id == 2);
  CHECK(s.vms[0].vm_type == "STANDARD_VM");
  CHECK(s.regions[0].provider == Provider::device_model);
  CHECK(s.regions[0].region_id == 4096);
  CHECK(s.regions[0].members[0].vbdf == pci::Bdf{0, 0x1e, 0});
  CHECK(s.workloads.empty());
  CHECK(s.run.seed == 1);
  CHECK(s.run.quantum_ns == 1000);
  CHECK(s.serial_console == "/dev/ttyS0");  // ACRN's sample scenarios' DEBUG_OPTIONS
  CHECK(s.console_loglevel == 3);
  const Scenario quiet =
      load_scenario_text(yaml, "min.yaml", {"hypervisor.serial_console=None", "hypervisor.console_loglevel=0"});
  CHECK_FALSE(quiet.has_serial_console());
  CHECK(quiet.console_loglevel == 0);
  CHECK(load_error(yaml, {"hypervisor.serial_console=COM1"})
            .find("hypervisor.serial_console: expected None or a serial device such as /dev/ttyS0") !=
        std::string::npos);
  CHECK(load_error(yaml, {"hypervisor.console_loglevel=6"}).find("hypervisor.console_loglevel") != std::string::npos);
  // A one-member region is legal in ACRN's schema but shares nothing: a warning.
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "min.yaml:12:14: warning: ivshmem[0].members: region has 1 member; fewer than 2 means no other VM shares it");
}

TEST_CASE("scenario loader: vCPUs take the pCPUs in ascending order as create_vm makes them", "[scenario_loader]") {
  const std::string yaml = R"(name: order
board: cfl-k700-i7
vms:
  - { id: 0, name: A, load_order: PRE_LAUNCHED_VM, cpu_affinity: [5, 3, 4], memory_mib: 64 }
  - { id: 1, name: S, load_order: SERVICE_VM, cpu_affinity: [0, 1], memory_mib: 2048 }
)";
  std::vector<std::string> warnings;
  const Scenario s = load_scenario_text(yaml, "order.yaml", {}, &warnings);
  CHECK(s.vms[0].pcpus == std::vector<unsigned>{3, 4, 5});
  CHECK(s.vms[1].pcpus == std::vector<unsigned>{0, 1});
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "order.yaml:4:66: warning: vms[0].cpu_affinity: ACRN creates a VM's vCPUs in ascending pCPU order "
        "(create_vm), so vCPU 0 runs on pCPU 3, not on the first pCPU listed");
}

TEST_CASE("scenario loader: a missing file is a located error", "[scenario_loader]") {
  try {
    load_scenario_file("/nonexistent/scenario.yaml", {});
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "/nonexistent/scenario.yaml: error: cannot open scenario file: No such file or directory");
    CHECK(e.field_path().empty());
  }
}

TEST_CASE("scenario loader: malformed scenarios are rejected with located errors", "[scenario_loader]") {
  const std::vector<BadCase> cases = {
      {"unknown key with suggestion",
       mutate("memory_mib: 512", "memory_mb: 512"),
       {},
       R"(bad.yaml:12:5: error: vms[0]: unknown key "memory_mb"; did you mean "memory_mib"?)"},
      {"unknown top-level key without a close match",
       mutate("run:", "flavour:"),
       {},
       R"(bad.yaml:40:1: error: unknown key "flavour"; expected one of name, description, board, hypervisor, timing, vms, ivshmem, run, workloads, noise)"},
      {"duplicate key",
       mutate("board:", "name: u\nboard:"),
       {},
       R"(bad.yaml:2:1: error: duplicate key "name" (first at line 1))"},
      {"wrong type: integer",
       mutate("memory_mib: 2048", "memory_mib: abc"),
       {},
       R"(bad.yaml:18:17: error: vms[1].memory_mib: expected an integer, got "abc")"},
      {"wrong type: quoted integer",
       mutate("memory_mib: 2048", "memory_mib: \"2048\""),
       {},
       R"(bad.yaml:18:17: error: vms[1].memory_mib: expected an integer, got the string "2048")"},
      {"wrong type: list",
       mutate("cpu_affinity: [3]", "cpu_affinity: 3"),
       {},
       R"(bad.yaml:11:19: error: vms[0].cpu_affinity: expected a list, got "3")"},
      {"wrong type: boolean",
       mutate("lapic_passthrough: true", "lapic_passthrough: yes"),
       {},
       R"(bad.yaml:13:24: error: vms[0].lapic_passthrough: expected a boolean (true or false), got "yes")"},
      {"missing required field",
       mutate("    load_order: SERVICE_VM\n", ""),
       {},
       R"(bad.yaml:14:5: error: vms[1]: missing required key "load_order")"},
      {"bad enum with suggestion",
       mutate("load_order: POST_LAUNCHED_VM", "load_order: POST_LAUNCHED"),
       {},
       R"(bad.yaml:21:17: error: vms[2].load_order: expected one of PRE_LAUNCHED_VM, SERVICE_VM, POST_LAUNCHED_VM, got "POST_LAUNCHED"; did you mean "POST_LAUNCHED_VM"?)"},
      {"unknown scheduler",
       mutate("SCHED_NOOP", "SCHED_RR"),
       {},
       R"(bad.yaml:5:14: error: hypervisor.scheduler: expected one of SCHED_NOOP, SCHED_IORR, SCHED_BVT, SCHED_PRIO, got "SCHED_RR"; did you mean "SCHED_IORR"?)"},
      {"unknown idle mode",
       mutate("  scheduler: SCHED_NOOP\n", "  scheduler: SCHED_NOOP\n  idle: MWAIT\n"),
       {},
       R"(bad.yaml:6:9: error: hypervisor.idle: expected one of HLT, PAUSE, got "MWAIT")"},
      {"memory below 16 MiB",
       mutate("memory_mib: 1024", "memory_mib: 8"),
       {},
       R"(bad.yaml:23:17: error: vms[2].memory_mib: must be between 16 and 1048576 MiB, got 8)"},
      {"duplicate VM id",
       mutate("id: 2", "id: 1"),
       {},
       R"(bad.yaml:19:9: error: vms[2].id: duplicate VM id 1 (also used by vms[1]))"},
      {"VM id not below max_vm_num",
       mutate("max_vm_num: 16", "max_vm_num: 2"),
       {},
       R"(bad.yaml:19:9: error: vms[2].id: VM id must be less than hypervisor.max_vm_num (2), got 2)"},
      {"duplicate VM name",
       mutate("name: HMI_VM", "name: RT_VM"),
       {},
       R"(bad.yaml:20:11: error: vms[2].name: duplicate VM name "RT_VM" (also used by vms[0]))"},
      {"bad VM name",
       mutate("name: HMI_VM", "name: HMI VM"),
       {},
       R"(bad.yaml:20:11: error: vms[2].name: VM name must be 1-15 letters, digits, _ or -, got "HMI VM")"},
      {"VM name longer than MAX_VM_NAME_LEN allows",
       mutate("name: HMI_VM", "name: HMI_VM_0123456789"),
       {},
       R"(bad.yaml:20:11: error: vms[2].name: VM name must be 1-15 letters, digits, _ or -, got "HMI_VM_0123456789")"},
      {"duplicate pCPU in a VM",
       mutate("cpu_affinity: [0, 1]", "cpu_affinity: [1, 1]"),
       {},
       R"(bad.yaml:17:23: error: vms[1].cpu_affinity[1]: pCPU 1 is listed twice (also cpu_affinity[0]))"},
      {"two Service VMs",
       mutate("load_order: POST_LAUNCHED_VM", "load_order: SERVICE_VM"),
       {},
       R"(bad.yaml:21:17: error: vms[2].load_order: only one SERVICE_VM is allowed (vms[1] is already one))"},
      {"unknown board",
       mutate("board: cfl-k700-i7", "board: cfl-k700-i9"),
       {},
       R"(bad.yaml:2:8: error: board: unknown board "cfl-k700-i9"; did you mean "cfl-k700-i7"?)"},
      {"bad VBDF",
       mutate("{ vm: RT_VM, vbdf: \"00:08.0\" }", "{ vm: RT_VM, vbdf: \"0:8.0\" }"),
       {},
       R"(bad.yaml:29:28: error: ivshmem[0].members[0].vbdf: expected a VBDF "BB:DD.F" in hex (device 00-1F, function 0-7, e.g. "00:08.0"), got "0:8.0")"},
      {"region size 3",
       mutate("size_mib: 2", "size_mib: 3"),
       {},
       R"(bad.yaml:27:15: error: ivshmem[0].size_mib: size must be one of 2, 4, 8, 16, 32, 64, 128, 256, 512 (MiB), got 3)"},
      {"region name too long",
       mutate("name: shm", "name: a_region_name_of_28_chars_xx"),
       {},
       R"(bad.yaml:25:11: error: ivshmem[0].name: region name must be 1-27 word characters (letters, digits, _), got "a_region_name_of_28_chars_xx")"},
      {"region name with bad characters",
       mutate("name: shm", "name: shm-0"),
       {},
       R"(bad.yaml:25:11: error: ivshmem[0].name: region name must be 1-27 word characters (letters, digits, _), got "shm-0")"},
      {"VM twice in a region",
       mutate("{ vm: HMI_VM, vbdf: \"00:08.0\" }", "{ vm: RT_VM, vbdf: \"00:09.0\" }"),
       {},
       R"(bad.yaml:30:15: error: ivshmem[0].members[1].vm: VM "RT_VM" is already a member of this region (members[0]))"},
      {"VBDF reused in a VM",
       mutate("workloads:",
              "  - { name: shm2, size_mib: 4, members: [{ vm: RT_VM, vbdf: \"00:08.0\" }, { vm: HMI_VM, "
              "vbdf: \"00:09.0\" }] }\nworkloads:"),
       {},
       R"(bad.yaml:31:61: error: ivshmem[1].members[0].vbdf: VBDF 00:08.0 is already used in VM "RT_VM" by ivshmem[0].members[0])"},
      {"post-launched device number 0x02",
       mutate("{ vm: HMI_VM, vbdf: \"00:08.0\" }", "{ vm: HMI_VM, vbdf: \"00:02.0\" }"),
       {},
       R"(bad.yaml:30:29: error: ivshmem[0].members[1].vbdf: device number 0x02 is not allowed in a post-launched VM (must be 0x03-0x1E))"},
      {"nine Hypervisor regions",
       nine_hv_regions(),
       {},
       R"(bad.yaml:33:5: error: ivshmem[8]: at most 8 Hypervisor regions are supported (ACRN's mem_regions[8]); this is the 9th)"},
      {"duplicate region name",
       mutate("workloads:", "  - { name: shm, size_mib: 2, members: [] }\nworkloads:"),
       {},
       R"(bad.yaml:31:13: error: ivshmem[1].name: duplicate Hypervisor region name "shm" (also ivshmem[0]))"},
      {"unknown member VM",
       mutate("{ vm: HMI_VM, vbdf", "{ vm: HMI_VN, vbdf"),
       {},
       R"(bad.yaml:30:15: error: ivshmem[0].members[1].vm: unknown VM "HMI_VN"; did you mean "HMI_VM"?)"},
      {"Device Model region with a pre-launched member",
       mutate("provider: Hypervisor", "provider: Device Model"),
       {},
       R"(bad.yaml:29:15: error: ivshmem[0].members[0].vm: a Device Model region can only have POST_LAUNCHED_VM members; "RT_VM" is PRE_LAUNCHED_VM)"},
      {"unknown workload kind",
       mutate("kind: pingpong", "kind: pingpang"),
       {},
       R"(bad.yaml:33:11: error: workloads[0].kind: unknown workload kind "pingpang"; did you mean "pingpong"?)"},
      {"unknown workload region",
       mutate("region: shm", "region: nope"),
       {},
       R"(bad.yaml:34:13: error: workloads[0].region: unknown region "nope"; expected one of shm)"},
      {"unknown param",
       mutate("iterations: 100", "iteration: 100"),
       {},
       R"(bad.yaml:39:7: error: workloads[0].params: unknown parameter "iteration"; did you mean "iterations"?)"},
      {"param out of range",
       mutate("iterations: 100", "iterations: 0"),
       {},
       R"(bad.yaml:39:19: error: workloads[0].params.iterations: must be between 1 and 100000000 round trips, got 0)"},
      {"param of the wrong type",
       mutate("iterations: 100", "iterations: 1.5"),
       {},
       R"(bad.yaml:39:19: error: workloads[0].params.iterations: expected an integer, got "1.5")"},
      {"role missing",
       mutate("      responder: { vm: RT_VM }\n", ""),
       {},
       R"(bad.yaml:36:7: error: workloads[0].roles: missing role "responder" (pingpong needs initiator, responder))"},
      {"unknown role",
       mutate("responder:", "responer:"),
       {},
       R"(bad.yaml:37:7: error: workloads[0].roles: unknown role "responer"; did you mean "responder"?)"},
      {"role VM not in region",
       mutate("responder: { vm: RT_VM }", "responder: { vm: Service_VM }"),
       {},
       R"(bad.yaml:37:24: error: workloads[0].roles.responder.vm: VM "Service_VM" is not a member of region "shm" (members: RT_VM, HMI_VM))"},
      {"vcpu out of range",
       mutate("vm: HMI_VM, vcpu: 0", "vm: HMI_VM, vcpu: 1"),
       {},
       R"(bad.yaml:36:38: error: workloads[0].roles.initiator.vcpu: vcpu must be less than 1 (VM "HMI_VM" has 1 vCPU), got 1)"},
      {"quantum 0",
       mutate("quantum_ns: 1000", "quantum_ns: 0"),
       {},
       R"(bad.yaml:42:15: error: run.quantum_ns: must be between 1 and 1000000 ns, got 0)"},
      {"negative seed",
       mutate("seed: 1", "seed: -1"),
       {},
       R"(bad.yaml:41:9: error: run.seed: must be between 0 and 18446744073709551615, got -1)"},
      {"YAML syntax error",
       mutate("cpu_affinity: [3]", "cpu_affinity: [3"),
       {},
       R"(bad.yaml:12:15: error: invalid YAML: end of sequence flow not found)"},
      {"not a mapping at the top",
       "- just\n- a list\n",
       {},
       R"(bad.yaml:1:1: error: expected a mapping of scenario keys (name, board, vms, ...), got a list)"},
      {"--set index out of range",
       kBase,
       {"vms[5].memory_mib=64"},
       R"(--set: error: vms[5].memory_mib: index 5 is out of range: "vms" has 3 items)"},
      {"--set through a scalar",
       kBase,
       {"name.first=x"},
       R"(--set: error: name.first: "name" is a scalar and has no field "first")"},
      {"--set key on a list",
       kBase,
       {"vms.name=x"},
       R"(--set: error: vms.name: "vms" is a list; select an item with an index, e.g. vms[0])"},
      {"--set unknown key", kBase, {"run.sed=3"}, R"(--set: error: run: unknown key "sed"; did you mean "seed"?)"},
      {"--set unknown section",
       kBase,
       {"nosuch.x=3"},
       R"(--set: error: unknown key "nosuch"; expected one of name, description, board, hypervisor, timing, vms, ivshmem, run, workloads, noise)"},
      {"--set malformed",
       kBase,
       {"run.seed"},
       R"(--set: error: expected key.path=value (e.g. run.seed=7 or vms[0].memory_mib=256), got "run.seed")"},
      {"--set malformed path",
       kBase,
       {"vms[x].id=1"},
       R"(--set: error: expected key.path=value (e.g. run.seed=7 or vms[0].memory_mib=256), got "vms[x].id=1")"},
      {"--set bad value",
       kBase,
       {"run.quantum_ns=0"},
       R"(--set: error: run.quantum_ns: must be between 1 and 1000000 ns, got 0)"},
      {"--set invalid YAML value",
       kBase,
       {"vms[0].cpu_affinity=[1,"},
       R"(--set: error: vms[0].cpu_affinity: invalid value "[1,": end of sequence flow not found)"},
      {"unknown board without a close match",
       mutate("board: cfl-k700-i7", "board: xeon"),
       {},
       R"(bad.yaml:2:8: error: board: unknown board "xeon"; expected one of )" + join_list(board_names()) +
           " (or the path of an ACRN board file, *.xml)"},
      {"missing board file",
       mutate("board: cfl-k700-i7", "board: boards/missing.xml"),
       {},
       R"(bad.yaml:2:8: error: board: cannot open board file "boards/missing.xml": No such file or directory)"},
      {"pCPU not on the board",
       mutate("cpu_affinity: [3]", "cpu_affinity: [9]"),
       {},
       R"(bad.yaml:11:20: error: vms[0].cpu_affinity[0]: pCPU 9 does not exist on board cfl-k700-i7 (pCPUs 0-7))"},
      {"post-launched VM without cpu_affinity",
       mutate("    cpu_affinity: [2]\n", ""),
       {},
       R"(bad.yaml:19:5: error: vms[2]: missing required key "cpu_affinity")"},
      {"pre-launched VM without memory",
       mutate("    memory_mib: 512\n", ""),
       {},
       R"(bad.yaml:7:5: error: vms[0]: missing required key "memory_mib")"},
      {"ambiguous region name",
       mutate("workloads:",
              "  - { name: shm, provider: Device Model, size_mib: 2, members: [{ vm: HMI_VM }] }\nworkloads:"),
       {},
       R"(bad.yaml:35:13: error: workloads[0].region: region name "shm" is ambiguous: a Hypervisor and a Device Model region both use it; write hv:/shm or dm:/shm)"},
      {"prefixed region of the wrong provider",
       mutate("region: shm", "region: dm:/shm"),
       {},
       R"(bad.yaml:34:13: error: workloads[0].region: unknown region "dm:/shm"; expected one of shm)"},
      {"Service VM left without pCPUs",
       mutate("    cpu_affinity: [0, 1]\n", ""),
       {"vms[0].cpu_affinity=[0, 1, 2, 3, 4, 5, 6, 7]"},
       R"(bad.yaml:14:5: error: vms[1]: the Service VM has no cpu_affinity and pre-launched VMs use every pCPU of board cfl-k700-i7; give it cpu_affinity)"},
      {"VBDF of the wrong type",
       mutate("{ vm: RT_VM, vbdf: \"00:08.0\" }", "{ vm: RT_VM, vbdf: [0, 8, 0] }"),
       {},
       R"(bad.yaml:29:28: error: ivshmem[0].members[0].vbdf: expected a string, got a list)"},
      {"string parameter not among its choices",
       mutate("iterations: 100", "notify: irq"),
       {},
       R"(bad.yaml:39:15: error: workloads[0].params.notify: expected one of poll, doorbell, timer, got "irq")"},
      {"--set board to a missing board file",
       kBase,
       {"board=nowhere/board.xml"},
       R"(--set: error: board: cannot open board file "nowhere/board.xml": No such file or directory)"},
  };
  REQUIRE(cases.size() >= 40);
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(load_error(c.yaml, c.sets) == c.error);
  }
}

TEST_CASE("scenario loader: warnings go to the out-parameter, not into the error path", "[scenario_loader]") {
  std::vector<std::string> warnings;
  const std::string yaml = mutate("workloads:", "  - { name: lonely, size_mib: 2, members: [] }\nworkloads:");
  const Scenario s = load_scenario_text(yaml, "w.yaml", {}, &warnings);
  CHECK(s.regions.size() == 2);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "w.yaml:31:43: warning: ivshmem[1].members: region has 0 members; fewer than 2 means no other VM shares it");
}

TEST_CASE("scenario loader: what the configurator would fill in is filled in", "[scenario_loader]") {
  SECTION("a Service VM without cpu_affinity or memory takes the pCPUs pre-launched VMs leave, and 1 GiB") {
    // It shares pCPU 2 with HMI_VM, which needs a scheduler that switches.
    const Scenario s = load_scenario_text(mutate("    cpu_affinity: [0, 1]\n    memory_mib: 2048\n", ""), "base.yaml",
                                          {"hypervisor.scheduler=SCHED_BVT"});
    CHECK(s.vms[1].pcpus == std::vector<unsigned>{0, 1, 2, 4, 5, 6, 7});  // RT_VM has pCPU 3
    CHECK(s.vms[1].memory_mib == 1024);
    CHECK(s.where("vms[1].cpu_affinity").line == 14);
  }
  SECTION("a member without a VBDF gets the lowest free device number from 00:08.0") {
    const Scenario s = load_scenario_text(
        mutate("workloads:",
               "  - { name: two, size_mib: 4, members: [{ vm: RT_VM }, { vm: HMI_VM, vbdf: \"\" }] }\nworkloads:"),
        "base.yaml",
        {"vms[0].cpu_affinity=[3, 4]", "vms[2].cpu_affinity=[2, 5]"});  // a vCPU each for its default pingpong
    CHECK(s.regions[1].members[0].vbdf.to_string() == "00:09.0");
    CHECK(s.regions[1].members[1].vbdf.to_string() == "00:09.0");
  }
  SECTION("a region no workload uses gets a default pingpong between its first two members") {
    const std::string yaml = mutate("workloads:",
                                    "  - { name: spare, size_mib: 2, members: [{ vm: Service_VM, vbdf: \"00:09.0\" }, "
                                    "{ vm: RT_VM, vbdf: \"00:09.0\" }] }\nworkloads:");
    Scenario s = load_scenario_text(yaml, "base.yaml", {"vms[0].cpu_affinity=[3, 4]"});
    REQUIRE(s.workloads.size() == 2);
    const WorkloadConfig& w = s.workloads[1];
    CHECK(w.name == "spare_pingpong");
    CHECK(w.kind == "pingpong");
    CHECK(w.region == "spare");
    CHECK(w.is_default);
    // RT_VM's vCPU 0 already runs the explicit workload's responder: the
    // default responder takes its vCPU 1; the Service VM's vCPU 0 is free.
    CHECK(w.roles.at("initiator").vm == "Service_VM");
    CHECK(w.roles.at("initiator").vcpu == 0);
    CHECK(w.roles.at("responder").vm == "RT_VM");
    CHECK(w.roles.at("responder").vcpu == 1);
    CHECK(w.params.at("iterations").i == 10000);
    // No other role on pCPUs 0 and 4: both sides poll.
    CHECK(w.params.at("notify").s == "poll");
    CHECK(w.note ==
          "default pingpong: initiator Service_VM vCPU 0 on pCPU 0, responder RT_VM vCPU 1 on pCPU 4, "
          "no other role on either pCPU: notify=poll");
    CHECK(s.where("workloads[1]").line == 31);  // the region it serves
    // Where the least-loaded choice still shares a pCPU (the Service VM's
    // only vCPU on the explicit initiator's pCPU 2), an hv-land region's
    // default rings the doorbell.
    s = load_scenario_text(yaml, "base.yaml",
                           {"vms[0].cpu_affinity=[3, 4]", "vms[1].cpu_affinity=[2]", "hypervisor.scheduler=SCHED_BVT"});
    REQUIRE(s.workloads.size() == 2);
    CHECK(s.workloads[1].params.at("notify").s == "doorbell");
    CHECK(s.workloads[1].note.find("pCPU 2 also runs w.initiator: notify=doorbell") != std::string::npos);
  }
  SECTION("a region whose members have no vCPU free of other roles gets no default workload, with a warning") {
    std::vector<std::string> warnings;
    const Scenario s = load_scenario_text(
        mutate("workloads:",
               "  - { name: spare, size_mib: 2, members: [{ vm: HMI_VM, vbdf: \"00:09.0\" }, { vm: RT_VM, vbdf: "
               "\"00:09.0\" }] }\nworkloads:"),
        "base.yaml", {}, &warnings);
    CHECK(s.workloads.size() == 1);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] ==
          "base.yaml:31:5: warning: ivshmem[1]: no default workload: HMI_VM and RT_VM have no online vCPU "
          "free of other workloads' roles");
  }
  SECTION("a default workload takes no Service VM vCPU a launch takes offline") {
    // SCHED_NOOP: HMI_VM's launch takes the Service VM's vCPU 1 (pCPU 1) offline; its vCPU 0 has w2's role.
    std::vector<std::string> warnings;
    const Scenario s = load_scenario_text(
        mutate("workloads:\n",
               "  - { name: s2, size_mib: 2, members: [{ vm: Service_VM, vbdf: \"00:09.0\" }, { vm: HMI_VM, vbdf: "
               "\"00:09.0\" }] }\n"
               "  - { name: s3, size_mib: 2, members: [{ vm: Service_VM, vbdf: \"00:0a.0\" }, { vm: HMI_VM, vbdf: "
               "\"00:0a.0\" }] }\n"
               "workloads:\n"
               "  - { name: w2, kind: pingpong, region: s2, roles: { initiator: { vm: Service_VM, vcpu: 0 }, "
               "responder: { vm: HMI_VM, vcpu: 1 } } }\n"),
        "base.yaml", {"vms[2].cpu_affinity=[1, 2, 4]"}, &warnings);
    CHECK(s.workloads.size() == 2);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("ivshmem[2]: no default workload: Service_VM and HMI_VM have no online vCPU free of other "
                           "workloads' roles") != std::string::npos);
  }
  SECTION("a region with fewer than two members gets no default workload") {
    std::vector<std::string> warnings;
    const Scenario s = load_scenario_text(
        mutate("workloads:",
               "  - { name: lonely, size_mib: 2, members: [{ vm: HMI_VM, vbdf: \"00:09.0\" }] }\nworkloads:"),
        "base.yaml", {}, &warnings);
    CHECK(s.workloads.size() == 1);
    CHECK(warnings.size() == 1);
  }
  SECTION("regions sharing a name across providers are named with ACRN's prefix") {
    std::string yaml = mutate("ivshmem:",
                              "  - { id: 3, name: POST2, load_order: POST_LAUNCHED_VM, cpu_affinity: [4], "
                              "memory_mib: 64 }\nivshmem:");
    yaml.replace(yaml.find("workloads:"), 10,
                 "  - { name: shm, provider: Device Model, size_mib: 2, members: [{ vm: HMI_VM, vbdf: \"00:09.0\" }, "
                 "{ vm: POST2 }] }\nworkloads:");
    const Scenario s =
        load_scenario_text(yaml, "base.yaml", {"workloads[0].region=hv:/shm", "vms[2].cpu_affinity=[2, 5]"});
    REQUIRE(s.workloads.size() == 2);
    CHECK(s.workloads[0].region == "hv:/shm");
    CHECK(s.workloads[1].region == "dm:/shm");  // the default workload of the Device Model region
    CHECK(s.workloads[1].name == "shm_dm_pingpong");
    CHECK(s.regions[1].members[1].vbdf.to_string() == "00:08.0");
  }
  SECTION("an unambiguous prefixed name is kept bare") {
    const Scenario s = load_scenario_text(kBase, "base.yaml", {"workloads[0].region=hv:/shm"});
    CHECK(s.workloads[0].region == "shm");
  }
}

TEST_CASE("scenario loader: a board may be an ACRN board file, relative to the scenario's folder",
          "[scenario_loader]") {
  const std::string dir = std::string(IVSIM_TESTS_DIR) + "/data";
  const Scenario s =
      load_scenario_text(mutate("board: cfl-k700-i7", "board: acrn/board-8cpu.xml"), dir + "/scenario.yaml", {});
  CHECK(s.board == dir + "/acrn/board-8cpu.xml");
  // From the command line, a relative path is relative to where ivsim runs.
  const Scenario t = load_scenario_text(kBase, dir + "/scenario.yaml", {"board=" + dir + "/acrn/board-8cpu.xml"});
  CHECK(t.board == dir + "/acrn/board-8cpu.xml");
}

TEST_CASE("scenario loader: measurement workloads need no region and VMs take scheduling and page-size fields",
          "[scenario_loader]") {
  std::string yaml = mutate("    cpu_affinity: [3]\n    memory_mib: 512\n    lapic_passthrough: true\n",
                            "    cpu_affinity: [3, 4]\n    memory_mib: 512\n    lapic_passthrough: true\n");
  const std::string lapic = "    lapic_passthrough: true\n";
  yaml.replace(yaml.find(lapic), lapic.size(),
               "    lapic_passthrough: true\n    priority: 2\n    bvt_weight: 3\n    guest_page_size: 2M\n"
               "    ept_max_page: 4K\n    guest_paging: false\n");
  yaml.replace(yaml.find("run:\n"), 5,
               "  - name: chase\n    kind: pointer_chase\n    roles:\n      chaser: { vm: RT_VM, vcpu: 1 }\nrun:\n");
  const Scenario s = load_scenario_text(yaml, "base.yaml", {});

  REQUIRE(s.workloads.size() == 2);
  CHECK(s.workloads[1].region.empty());
  const VmConfig& rt = *s.find_vm("RT_VM");
  CHECK(rt.priority == 2);
  CHECK(rt.bvt_weight == 3);
  CHECK(rt.guest_page_size == kPageSize2M);
  CHECK(rt.ept_max_page == kPageSize4K);
  CHECK_FALSE(rt.guest_paging);
  try {
    load_scenario_text(
        mutate("    lapic_passthrough: true\n", "    lapic_passthrough: true\n    guest_page_size: 8K\n"), "base.yaml",
        {});
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "base.yaml:14:22: error: vms[0].guest_page_size: expected one of 4K, 2M, 1G, got \"8K\"");
  }
}
