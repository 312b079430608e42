#include "workloads/workload_kind.h"

#include <cstdio>

#include "workloads/cmdresp.h"
#include "workloads/fan.h"
#include "workloads/lua_guest.h"
#include "workloads/measurements.h"
#include "workloads/noisy.h"
#include "workloads/pingpong.h"
#include "workloads/ring.h"
#include "workloads/walk_refs.h"

namespace ivsim {

namespace {

ParamValue integer(long long v) { return ParamValue::integer(v); }
ParamValue string(const char* v) { return ParamValue::text(v); }

// --- placement checks: what each program needs of where it runs -----------

std::string size_text(u64 bytes) {
  if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / static_cast<double>(kMiB));
  return buf;
}

u64 param(const WorkloadPlacement& w, const char* name) { return static_cast<u64>(w.config->params.at(name).i); }

// A tool's data at [kScratchOffset, kScratchOffset + bytes) into its role's VM's RAM.
std::optional<PlacementProblem> scratch_fits(const WorkloadPlacement& w, const std::string& role, u64 bytes,
                                             const std::string& field, const std::string& what) {
  const RolePlacement& r = w.roles.at(role);
  if (kScratchOffset + bytes <= r.scratch_end) return std::nullopt;
  return PlacementProblem{field, what + " needs the VM's RAM from " + size_text(kScratchOffset) + " up to " +
                                     size_text(kScratchOffset + bytes) + " into it, but VM \"" + r.vm->name +
                                     "\" has room for a tool's data only up to " + size_text(r.scratch_end) +
                                     " (its RAM below 4 GiB, less its page tables at the top)"};
}

// Two roles that share a line in guest RAM run in one VM.
std::optional<PlacementProblem> one_vm(const WorkloadPlacement& w, const char* a, const char* b, const char* why) {
  const VmConfig* va = w.roles.at(a).vm;
  const VmConfig* vb = w.roles.at(b).vm;
  if (va == vb) return std::nullopt;
  return PlacementProblem{std::string("roles.") + b + ".vm", std::string(why) + ": " + b + " runs in VM \"" + vb->name +
                                                                 "\", " + a + " in \"" + va->name + "\""};
}

// notify: timer is the timerfd polling mode of a Linux guest's UIO program;
// doorbell needs MSI-X, which a dm-land device lacks.
std::optional<PlacementProblem> check_notify(const WorkloadPlacement& w) {
  const auto it = w.config->params.find("notify");
  if (it == w.config->params.end()) return std::nullopt;
  if (it->second.s == "doorbell" && w.region && w.region->provider == Provider::device_model)
    return PlacementProblem{"params.notify",
                            "doorbell needs the device's MSI-X, which a Device Model (dm-land) region's device does "
                            "not have; use notify: poll, or a Hypervisor region"};
  if (it->second.s == "timer")
    for (const auto& [role, r] : w.roles)
      if (r.vm->os != "linux-uio")
        return PlacementProblem{"params.notify", "timer is the timerfd polling mode of a linux-uio guest, but role " +
                                                     role + " runs in VM \"" + r.vm->name + "\" whose os is " +
                                                     r.vm->os + "; set its os: linux-uio"};
  return std::nullopt;
}

std::optional<PlacementProblem> check_pingpong(const WorkloadPlacement& w) {
  const u64 bytes = param(w, "message_bytes");
  if (bytes % 8 != 0)
    return PlacementProblem{"params.message_bytes", "must be a multiple of 8 bytes, got " + std::to_string(bytes)};
  if (pingpong_region_bytes(bytes) > w.region->size_mib * kMiB)
    return PlacementProblem{"params.message_bytes",
                            "the flags and the message take " + size_text(pingpong_region_bytes(bytes)) +
                                ", more than region " + w.region->name + "'s " + size_text(w.region->size_mib * kMiB)};
  if (w.config->params.at("notify").s == "doorbell" && w.region->provider == Provider::device_model)
    return PlacementProblem{"params.notify",
                            "doorbell needs the device's MSI-X, which a Device Model (dm-land) region's device does "
                            "not have; use notify: poll, or a Hypervisor region"};
  return check_notify(w);
}

std::optional<PlacementProblem> check_c2c(const WorkloadPlacement& w) {
  if (w.region) return std::nullopt;
  if (auto p = one_vm(w, "ping", "pong", "without a region the line is in guest RAM, so both roles run in one VM"))
    return p;
  return scratch_fits(w, "ping", kCacheLineBytes, "roles.ping.vm", "the bounced line");
}

std::optional<PlacementProblem> check_ipi(const WorkloadPlacement& w) {
  return one_vm(w, "ping", "pong", "a virtual IPI goes to a vCPU of the sender's VM, so both roles run in one VM");
}

std::optional<PlacementProblem> check_pointer_chase(const WorkloadPlacement& w) {
  return scratch_fits(w, "chaser", param(w, "working_set_bytes"), "params.working_set_bytes", "the chain");
}

std::optional<PlacementProblem> check_memcpy(const WorkloadPlacement& w) {
  const u64 bytes = param(w, "bytes");
  // The source from kScratchOffset, the destination from the next 2 MiB boundary (memcpy_bandwidth.cpp).
  return scratch_fits(w, "copier", round_up(bytes, kPageSize2M) + bytes, "params.bytes",
                      "a copy of " + size_text(bytes) + " (source and destination)");
}

std::optional<PlacementProblem> check_vmexit(const WorkloadPlacement& w) {
  if (w.config->params.at("exit").s == "mmio" && !w.region)
    return PlacementProblem{"params.exit",
                            "exit: mmio reads a register of the region's IVSHMEM device: name the workload's region"};
  // vmcall_vmexit_handler: a VMCALL from any other VM gets #UD.
  if (w.config->params.at("exit").s == "hypercall" && w.roles.at("guest").vm->load_order != LoadOrder::service_vm)
    return PlacementProblem{"roles.guest.vm",
                            "exit: hypercall needs the Service VM: ACRN injects #UD for a VMCALL from VM \"" +
                                w.roles.at("guest").vm->name + "\" (" + "only the Service VM may make hypercalls)"};
  return std::nullopt;
}

std::optional<PlacementProblem> check_walk_refs(const WorkloadPlacement& w) {
  const RolePlacement& r = w.roles.at("walker");
  const u64 base = param(w, "base_mib") * kMiB, bytes = param(w, "working_set_mib") * kMiB;
  if (base + bytes <= r.ram_end) return std::nullopt;
  return PlacementProblem{base >= r.ram_end ? "params.base_mib" : "params.working_set_mib",
                          "the loads cover the VM's RAM from " + size_text(base) + " up to " + size_text(base + bytes) +
                              " into it, but VM \"" + r.vm->name + "\" has RAM mapped only up to " +
                              size_text(r.ram_end) + " (its RAM below 4 GiB)"};
}

std::optional<PlacementProblem> region_fits(const WorkloadPlacement& w, u64 bytes, const std::string& field,
                                            const std::string& what) {
  if (!w.region || bytes <= w.region->size_mib * kMiB) return std::nullopt;
  return PlacementProblem{field, what + " takes " + size_text(bytes) + ", more than region " + w.region->name + "'s " +
                                     size_text(w.region->size_mib * kMiB)};
}

std::optional<PlacementProblem> check_ring(const WorkloadPlacement& w) {
  const u64 slot = param(w, "slot_bytes"), depth = param(w, "depth");
  if (slot % 8 != 0) return PlacementProblem{"params.slot_bytes", "must be a multiple of 8 bytes"};
  if (param(w, "batch") > depth)
    return PlacementProblem{"params.batch", "a batch of " + std::to_string(param(w, "batch")) +
                                                " messages cannot wait in a ring of depth " + std::to_string(depth)};
  if (param(w, "notify_every") > depth)
    return PlacementProblem{"params.notify_every", "must be at most the depth (" + std::to_string(depth) +
                                                       "), or a full ring would wait for a doorbell never rung"};
  if (auto p = region_fits(w, ring_region_bytes(slot, depth), "params.depth", "the ring")) return p;
  return check_notify(w);
}

std::optional<PlacementProblem> check_bulk(const WorkloadPlacement& w) {
  const u64 block = param(w, "block_bytes");
  if (block % 8 != 0) return PlacementProblem{"params.block_bytes", "must be a multiple of 8 bytes"};
  if (bulk_depth(block, w.region->size_mib * kMiB) == 0)
    return PlacementProblem{"params.block_bytes", "a block of " + size_text(block) + " does not fit half of region " +
                                                      w.region->name + " (" + size_text(w.region->size_mib * kMiB / 2) +
                                                      ", one per direction)"};
  return std::nullopt;
}

std::optional<PlacementProblem> check_cmdresp(const WorkloadPlacement& w) {
  if (auto p = region_fits(w, cmdresp_region_bytes(param(w, "command_bytes"), param(w, "response_bytes")),
                           "params.command_bytes", "the flags, command and response"))
    return p;
  return check_notify(w);
}

std::optional<PlacementProblem> check_fanout(const WorkloadPlacement& w) {
  if (param(w, "slot_bytes") % 8 != 0) return PlacementProblem{"params.slot_bytes", "must be a multiple of 8 bytes"};
  return region_fits(w, fanout_region_bytes(param(w, "slot_bytes"), param(w, "depth")), "params.depth", "the ring");
}

std::optional<PlacementProblem> check_fanin(const WorkloadPlacement& w) {
  if (param(w, "slot_bytes") % 8 != 0) return PlacementProblem{"params.slot_bytes", "must be a multiple of 8 bytes"};
  return region_fits(w, fanin_region_bytes(param(w, "slot_bytes"), param(w, "depth")), "params.depth",
                     "four producers' rings");
}

std::optional<PlacementProblem> check_noisy(const WorkloadPlacement& w) {
  const u64 bytes = param(w, "working_set_bytes");
  if (w.region) return region_fits(w, bytes, "params.working_set_bytes", "the working set");
  return scratch_fits(w, "neighbour", bytes, "params.working_set_bytes", "the working set");
}

std::optional<PlacementProblem> check_attacker(const WorkloadPlacement& w) {
  const VmConfig* vm = w.roles.at("attacker").vm;
  if (vm->load_order == LoadOrder::service_vm)
    return PlacementProblem{"roles.attacker.vm",
                            "the Service VM is entitled to its hypercalls and the hv-land pool: "
                            "run the attacker in a User VM"};
  return std::nullopt;
}

std::vector<WorkloadKind> make_kinds() {
  std::vector<WorkloadKind> kinds;

  WorkloadKind pingpong;
  pingpong.name = "pingpong";
  pingpong.doc =
      "Request/response through one region: the initiator writes a message and a sequence flag, the responder "
      "polls the flag, reads the message, computes, writes a response and its flag; the initiator polls for it. "
      "Records the round trip seen by the initiator and each direction's one-way latency.";
  pingpong.roles = {
      {"initiator", "writes the command and waits for the response", &pingpong_initiator},
      {"responder", "polls for the command and answers it", &pingpong_responder},
  };
  pingpong.params = {
      {"iterations", ParamValue::Type::integer, integer(10000), 1, 100000000, "round trips", "round trips to run", {}},
      {"message_bytes",
       ParamValue::Type::integer,
       integer(64),
       8,
       512LL << 20,
       "bytes",
       "command and response payload size (multiple of 8), up to the region's size less its 256-byte header; the "
       "response overwrites the command in place",
       {}},
      {"response_compute_cycles",
       ParamValue::Type::integer,
       integer(0),
       0,
       1000000000,
       "cycles",
       "work the responder does per command, in its core's cycles",
       {}},
      {"warmup",
       ParamValue::Type::integer,
       integer(10),
       0,
       1000000,
       "round trips",
       "round trips run before recording starts (cold caches, first-touch pages)",
       {}},
      {"notify",
       ParamValue::Type::string,
       string("poll"),
       0,
       0,
       "",
       "how each side learns the other wrote: poll (spin on the flag), doorbell (MSI-X through the hv-land "
       "doorbell and the guest OS's driver path, the receiver blocked until its interrupt) or timer (a linux-uio "
       "guest's timerfd checks the region every uio_timerfd_period)",
       {"poll", "doorbell", "timer"}},
  };
  pingpong.check = &check_pingpong;
  kinds.push_back(std::move(pingpong));

  WorkloadKind walk_refs;
  walk_refs.name = "walk_refs";
  walk_refs.doc =
      "Random 8-byte loads over a working set of the walker's own guest RAM (the region is not used): counts dTLB "
      "misses, STLB hits, page walks and walk references, so walk_refs / walks is the average number of memory "
      "references per walk for the VM's guest and EPT page sizes. Records each load's latency.";
  walk_refs.roles = {{"walker", "loads from random addresses of the working set", &walk_refs_walker}};
  walk_refs.params = {
      {"working_set_mib",
       ParamValue::Type::integer,
       integer(256),
       1,
       1 << 20,
       "MiB",
       "bytes the loads spread over",
       {}},
      {"base_mib",
       ParamValue::Type::integer,
       integer(0),
       0,
       1 << 20,
       "MiB",
       "where the working set starts in guest RAM (its guest-virtual = guest-physical address)",
       {}},
      {"accesses", ParamValue::Type::integer, integer(100000), 1, 100000000, "loads", "loads counted", {}},
      {"warmup",
       ParamValue::Type::integer,
       integer(10000),
       0,
       100000000,
       "loads",
       "loads run before counting starts (cold TLBs and caches)",
       {}},
      {"seed", ParamValue::Type::integer, integer(1), 0, 1LL << 62, "", "start of the address sequence", {}},
  };
  walk_refs.needs_region = false;
  walk_refs.check = &check_walk_refs;
  kinds.push_back(std::move(walk_refs));

  auto iterations = [](long long def, const char* unit) {
    return ParamSpec{"iterations", ParamValue::Type::integer, integer(def), 1, 100000000, unit, "measurements", {}};
  };
  const ParamSpec warmup{"warmup", ParamValue::Type::integer, integer(10), 0, 1000000,
                         "rounds", "rounds not recorded",     {}};

  WorkloadKind c2c;
  c2c.name = "c2c_pingpong";
  c2c.doc =
      "One cache line bounced between two vCPUs (like core-to-core-latency); round trip = 2 x one-way. "
      "Without a region, both roles must be vCPUs of one VM and the line is in its RAM.";
  c2c.roles = {{"ping", "writes odd values, waits for the even answer", &c2c_ping},
               {"pong", "answers each odd value with the next even one", &c2c_pong}};
  c2c.params = {iterations(10000, "round trips"), warmup};
  c2c.needs_region = false;
  c2c.check = &check_c2c;
  kinds.push_back(std::move(c2c));

  WorkloadKind chase;
  chase.name = "pointer_chase";
  chase.doc = "Dependent loads over a random cycle of cache lines in guest RAM (like Intel MLC idle latency).";
  chase.roles = {{"chaser", "builds the chain, warms it, then times each load", &pointer_chase}};
  chase.params = {{"working_set_bytes",
                   ParamValue::Type::integer,
                   integer(1 << 20),
                   4096,
                   4LL << 30,
                   "bytes",
                   "bytes of guest RAM the chain covers",
                   {}},
                  iterations(100000, "loads"),
                  {"seed", ParamValue::Type::integer, integer(1), 0, 1e18, "", "chain order", {}}};
  chase.needs_region = false;
  chase.check = &check_pointer_chase;
  kinds.push_back(std::move(chase));

  WorkloadKind vmexit;
  vmexit.name = "vmexit";
  vmexit.doc =
      "VM-exit round trips (like kvm-unit-tests x86/vmexit): HC_GET_API_VERSION, the lightest hypercall that "
      "succeeds (a failing one is logged to a debug build's serial console; Service VM only), a port read of 0xCF8, or "
      "an MMIO read of the region device's IVPosition (in the hypervisor for hv-land, in the Service VM's "
      "device model for dm-land).";
  vmexit.roles = {{"guest", "exits in a loop", &vmexit_test}};
  vmexit.params = {
      {"exit", ParamValue::Type::string, string("hypercall"), 0, 0, "", "which exit", {"hypercall", "pio", "mmio"}},
      iterations(10000, "exits")};
  vmexit.needs_region = false;
  vmexit.check = &check_vmexit;
  kinds.push_back(std::move(vmexit));

  WorkloadKind ipi;
  ipi.name = "ipi_pingpong";
  ipi.doc =
      "A virtual IPI (x2APIC ICR write) there and back between two vCPUs of one VM, each halted until its "
      "interrupt; round trip = 2 x send->handled.";
  ipi.roles = {{"ping", "sends and waits for the answer", &ipi_ping},
               {"pong", "answers from its interrupt handler", &ipi_pong}};
  ipi.params = {iterations(10000, "round trips"), warmup};
  ipi.needs_region = false;
  ipi.check = &check_ipi;
  kinds.push_back(std::move(ipi));

  WorkloadKind timer;
  timer.name = "timer";
  timer.doc = "The TSC-deadline timer armed to expire at once, until its handler runs (tscdeadline_immed).";
  timer.roles = {{"guest", "arms and waits", &timer_test}};
  timer.params = {iterations(10000, "timer interrupts")};
  timer.needs_region = false;
  kinds.push_back(std::move(timer));

  WorkloadKind copy;
  copy.name = "memcpy_bandwidth";
  copy.doc = "A single-core copy of a buffer in guest RAM; bandwidth = bytes / copy time.";
  copy.roles = {{"copier", "copies in 64 KiB chunks", &memcpy_bandwidth}};
  copy.params = {{"bytes", ParamValue::Type::integer, integer(64 << 20), 4096, 1LL << 32, "bytes", "buffer size", {}},
                 iterations(3, "copies")};
  copy.needs_region = false;
  copy.check = &check_memcpy;
  kinds.push_back(std::move(copy));

  auto num = [](const char* name, long long def, double lo, double hi, const char* unit, const char* doc) {
    return ParamSpec{name, ParamValue::Type::integer, integer(def), lo, hi, unit, doc, {}};
  };
  const ParamSpec notify{"notify",
                         ParamValue::Type::string,
                         string("poll"),
                         0,
                         0,
                         "",
                         "how the receiver learns of new data: poll, doorbell (through its guest OS's driver path) or "
                         "timer (a linux-uio guest's timerfd)",
                         {"poll", "doorbell", "timer"}};

  WorkloadKind ring;
  ring.name = "ring";
  ring.doc =
      "A single-producer single-consumer ring in the region: the producer writes numbered messages into slots and "
      "publishes its index every `batch` messages; the consumer reads them in order and publishes its own. Checks "
      "every message arrives in order exactly once; records each message's latency (producer's write to consumer's "
      "read) and the throughput.";
  ring.roles = {{"producer", "writes the messages", &ring_producer},
                {"consumer", "reads them and checks their order", &ring_consumer}};
  ring.params = {num("iterations", 100000, 1, 1e9, "messages", "messages measured"),
                 num("slot_bytes", 64, 16, 512LL << 20, "bytes", "one message's slot (multiple of 8)"),
                 num("depth", 256, 1, 1 << 20, "slots", "slots in the ring"),
                 num("batch", 1, 1, 1 << 20, "messages", "messages written before the producer publishes its index"),
                 notify,
                 num("notify_every", 1, 1, 1 << 20, "messages",
                     "doorbell mode: the producer rings after this many published messages (and before it waits "
                     "for room)"),
                 num("warmup", 100, 0, 1e9, "messages", "messages sent before measuring")};
  ring.check = &check_ring;
  kinds.push_back(std::move(ring));

  WorkloadKind bulk;
  bulk.name = "bulk";
  bulk.doc =
      "Large transfers: the sender copies blocks into a ring of block-sized slots in one half of the region, the "
      "receiver copies them out and checks each block's number and length; with direction both every block comes "
      "back through the other half. Counts the bytes moved and records the throughput.";
  bulk.roles = {{"sender", "copies blocks in", &bulk_sender}, {"receiver", "copies them out", &bulk_receiver}};
  bulk.params = {num("block_bytes", 65536, 64, 256LL << 20, "bytes", "one block (multiple of 8)"),
                 num("total_bytes", 16LL << 20, 1, 1LL << 40, "bytes", "bytes each direction moves"),
                 {"direction",
                  ParamValue::Type::string,
                  string("one"),
                  0,
                  0,
                  "",
                  "one: sender to receiver; both: every block also back",
                  {"one", "both"}}};
  bulk.check = &check_bulk;
  kinds.push_back(std::move(bulk));

  WorkloadKind cmdresp;
  cmdresp.name = "cmdresp";
  cmdresp.doc =
      "The HMI <-> RT command/response exchange: the HMI thinks, sends a command and waits; the RT VM waits for it, "
      "thinks and answers. Records each response time; a response later than deadline_ns counts as a deadline miss.";
  cmdresp.roles = {{"hmi", "thinks, commands, waits for the response", &cmdresp_hmi},
                   {"rt", "waits for a command, thinks, answers", &cmdresp_rt}};
  cmdresp.params = {num("iterations", 10000, 1, 1e9, "commands", "commands measured"),
                    num("command_bytes", 64, 8, 256LL << 20, "bytes", "command size"),
                    num("response_bytes", 64, 8, 256LL << 20, "bytes", "response size"),
                    num("hmi_think_cycles", 20000, 0, 1e10, "cycles", "the HMI's work between commands"),
                    num("rt_think_cycles", 2000, 0, 1e10, "cycles", "the RT VM's work per command"),
                    num("deadline_ns", 10000, 1, 1e12, "ns", "a response later than this after its command misses"),
                    notify,
                    num("warmup", 10, 0, 1e9, "commands", "commands sent before measuring")};
  cmdresp.check = &check_cmdresp;
  kinds.push_back(std::move(cmdresp));

  WorkloadKind fanout;
  fanout.name = "fanout";
  fanout.doc =
      "One producer, up to four consumers on one region: each message is written once into a ring every consumer "
      "reads, each publishing its own index; a slot is reused when the slowest consumer has read it. Checks each "
      "consumer gets every message in order exactly once; records each delivery's latency.";
  fanout.roles = {{"producer", "writes each message once", &fanout_producer},
                  {"consumer1", "reads every message", &fanout_consumer},
                  {"consumer2", "another consumer (optional)", &fanout_consumer, true},
                  {"consumer3", "another consumer (optional)", &fanout_consumer, true},
                  {"consumer4", "another consumer (optional)", &fanout_consumer, true}};
  fanout.params = {num("iterations", 10000, 1, 1e9, "messages", "messages measured"),
                   num("slot_bytes", 64, 8, 64LL << 20, "bytes", "one message's slot (multiple of 8)"),
                   num("depth", 64, 1, 1 << 20, "slots", "slots in the ring"),
                   num("warmup", 10, 0, 1e9, "messages", "messages sent before measuring")};
  fanout.check = &check_fanout;
  kinds.push_back(std::move(fanout));

  WorkloadKind fanin;
  fanin.name = "fanin";
  fanin.doc =
      "Up to four producers, one collector on one region: each producer has its own ring and adds to a shared "
      "pending count (LOCK CMPXCHG) after each message; the collector waits on that count and drains every ring. "
      "Checks each producer's messages arrive in order exactly once; records each delivery's latency.";
  fanin.roles = {{"collector", "drains every producer's ring", &fanin_collector},
                 {"producer1", "writes its messages", &fanin_producer},
                 {"producer2", "another producer (optional)", &fanin_producer, true},
                 {"producer3", "another producer (optional)", &fanin_producer, true},
                 {"producer4", "another producer (optional)", &fanin_producer, true}};
  fanin.params = {num("iterations", 10000, 1, 1e9, "messages", "messages each producer sends, measured"),
                  num("slot_bytes", 64, 8, 16LL << 20, "bytes", "one message's slot (multiple of 8)"),
                  num("depth", 64, 1, 1 << 20, "slots", "slots in each producer's ring"),
                  num("warmup", 10, 0, 1e9, "messages", "messages each producer sends before measuring")};
  fanin.check = &check_fanin;
  kinds.push_back(std::move(fanin));

  WorkloadKind noisy;
  noisy.name = "noisy";
  noisy.doc =
      "A memory-intensive neighbour on any vCPU: strided reads and writes (the mix drawn from the seed) over a "
      "working set of its own guest RAM, or of the region when one is named, loading the shared LLC and memory; "
      "optionally some accesses are split locks, which hold the other cores off the bus, and every so many a "
      "WBINVD, which ACRN emulates by flushing the caches or the VM's own memory. "
      "Records each access's latency and the access rate.";
  noisy.roles = {{"neighbour", "walks the working set", &noisy_neighbour}};
  noisy.params = {num("working_set_bytes", 8LL << 20, 4096, 4LL << 30, "bytes", "bytes the accesses cover"),
                  num("read_percent", 50, 0, 100, "%", "share of the accesses that are reads"),
                  num("split_lock_percent", 0, 0, 100, "%",
                      "share of the accesses that are split locks (a LOCK CMPXCHG across two lines: a bus lock)"),
                  num("wbinvd_every", 0, 0, 1e10, "accesses",
                      "a WBINVD after every this many accesses (0: none), which ACRN emulates"),
                  num("stride_bytes", 64, 8, 1LL << 30, "bytes", "distance between consecutive accesses"),
                  num("iterations", 1000000, 1, 1e10, "accesses", "accesses made"),
                  num("seed", 1, 0, 1e18, "", "the read/write draw")};
  noisy.needs_region = false;
  noisy.check = &check_noisy;
  kinds.push_back(std::move(noisy));

  WorkloadKind attack;
  attack.name = "attacker";
  attack.doc =
      "Tries every way a guest could reach memory or interrupts it is not entitled to: BAR2 moved onto its RAM and "
      "onto another BAR, doorbells to strangers, to out-of-range peers and vectors, BAR0 beyond its registers, "
      "MSI-X beyond its table, its other IVSHMEM devices (a same-named region of the other provider), and the "
      "Service VM's hypercalls. Reports each attempt as a finding, contained or not.";
  attack.roles = {{"attacker", "a User VM's program on the region", &attacker}};
  attack.check = &check_attacker;
  kinds.push_back(std::move(attack));

  WorkloadKind lua;
  lua.name = "lua";
  lua.doc =
      "A Lua script as the guest program (workload: { script: ..., roles: ..., params: ... }): every role runs it on "
      "its vCPU, in a Lua state of its own, with the guest API in Lua naming (docs/guest-api.md).";
  lua.needs_region = false;
  lua.scripted = true;
  kinds.push_back(std::move(lua));

  return kinds;
}

}  // namespace

const std::vector<WorkloadKind>& workload_kinds() {
  static const std::vector<WorkloadKind> kinds = make_kinds();
  return kinds;
}

std::vector<RoleSpec> placed_roles(const WorkloadKind& kind, const WorkloadConfig& w) {
  std::vector<RoleSpec> out;
  if (kind.scripted) {
    for (const auto& [role, ref] : w.roles) out.push_back({role, "runs the script", &lua_guest});
    return out;
  }
  for (const RoleSpec& r : kind.roles)
    if (w.roles.count(r.name)) out.push_back(r);
  return out;
}

const WorkloadKind* find_workload_kind(const std::string& name) {
  for (const auto& k : workload_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace ivsim
