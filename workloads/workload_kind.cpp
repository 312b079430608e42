#include "workloads/workload_kind.h"

#include "workloads/pingpong.h"

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
