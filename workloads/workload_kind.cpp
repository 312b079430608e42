#include "workloads/workload_kind.h"

#include "workloads/pingpong.h"
#include "workloads/walk_refs.h"

namespace ivsim {

namespace {

ParamValue integer(long long v) {
  ParamValue p;
  p.type = ParamValue::Type::integer;
  p.i = v;
  return p;
}

ParamValue string(const char* v) {
  ParamValue p;
  p.type = ParamValue::Type::string;
  p.s = v;
  return p;
}

std::vector<WorkloadKind> make_kinds() {
  std::vector<WorkloadKind> kinds;

  WorkloadKind pingpong;
  pingpong.name = "pingpong";
  pingpong.doc =
      "Request/response through one region: the initiator writes a message and a sequence flag, the responder "
      "polls the flag, reads the message, computes, writes a response and its flag; the initiator polls for it. "
      "Records the round trip seen by the initiator.";
  pingpong.roles = {
      {"initiator", "writes the command and waits for the response", &pingpong_initiator},
      {"responder", "polls for the command and answers it", &pingpong_responder},
  };
  pingpong.params = {
      {"iterations", ParamValue::Type::integer, integer(10000), 1, 100000000, "", "round trips to run", {}},
      {"message_bytes",
       ParamValue::Type::integer,
       integer(64),
       8,
       65536,
       "bytes",
       "command and response payload size (multiple of 8)",
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
       "",
       "round trips run before recording starts (cold caches, first-touch pages)",
       {}},
      {"notify",
       ParamValue::Type::string,
       string("poll"),
       0,
       0,
       "",
       "how each side learns the other wrote: poll (spin on the flag) or doorbell (MSI-X through the hv-land "
       "doorbell, the receiver halted until its interrupt)",
       {"poll", "doorbell"}},
  };
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
      {"accesses", ParamValue::Type::integer, integer(100000), 1, 100000000, "", "loads counted", {}},
      {"warmup",
       ParamValue::Type::integer,
       integer(10000),
       0,
       100000000,
       "",
       "loads run before counting starts (cold TLBs and caches)",
       {}},
      {"seed", ParamValue::Type::integer, integer(1), 0, 1LL << 62, "", "start of the address sequence", {}},
  };
  kinds.push_back(std::move(walk_refs));
  return kinds;
}

}  // namespace

const std::vector<WorkloadKind>& workload_kinds() {
  static const std::vector<WorkloadKind> kinds = make_kinds();
  return kinds;
}

const WorkloadKind* find_workload_kind(const std::string& name) {
  for (const auto& k : workload_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace ivsim
