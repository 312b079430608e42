#include "sim/scenario_workloads.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "platforms/region_ref.h"
#include "sim/suggest.h"
#include "workloads/workload_kind.h"

namespace ivsim {

namespace {

const std::vector<std::string> kWorkloadKeys = {"name", "kind", "script", "region", "roles", "params"};

// A script's path as the run opens it: relative to the file that names it
// (the working directory for --set).
std::string script_path(const std::string& text, const SourceLocation& at) {
  if (text.empty() || text[0] == '/' || at.file.empty() || at.file == "--set") return text;
  const auto slash = at.file.find_last_of('/');
  return slash == std::string::npos ? text : at.file.substr(0, slash + 1) + text;
}
const std::vector<std::string> kRoleKeys = {"vm", "vcpu"};

class WorkloadReader : FieldReader {
 public:
  WorkloadReader(const ScenarioTree& tree, std::vector<std::string>* warnings, Scenario& s)
      : FieldReader(tree, warnings, s.locations), s_(s) {}

  void read(const Node* list) {
    read_workloads(list);
    add_default_workloads();
  }

 private:
  void read_workloads(const Node* list) {
    if (!list) return;
    std::vector<std::string> kind_names;
    for (const auto& k : workload_kinds()) kind_names.push_back(k.name);
    std::vector<std::string> region_names;
    for (const auto& r : s_.regions)
      if (std::find(region_names.begin(), region_names.end(), r.name) == region_names.end())
        region_names.push_back(r.name);

    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const Node& n = list->items[i];
      const std::string p = path_at("workloads", i);
      expect(n, p, Node::Kind::mapping);
      check_keys(n, p, kWorkloadKeys);
      WorkloadConfig w;

      const Node& name = required(n, p, "name");
      w.name = read_name(name, p + ".name");
      for (std::size_t j = 0; j < s_.workloads.size(); ++j)
        if (s_.workloads[j].name == w.name)
          fail(name.loc, p + ".name",
               "duplicate workload name " + quote(w.name) + " (also used by " + path_at("workloads", j) + ")");

      const WorkloadKind* kind = nullptr;
      if (const Node* script = optional(n, "script")) {
        // A Lua guest program: kind "lua", its roles and parameters free.
        if (const Node* k = optional(n, "kind"))
          if (read_string(*k, p + ".kind") != "lua")
            fail(k->loc, p + ".kind", "a workload runs a library kind or a script, not both: leave kind out");
        w.kind = "lua";
        w.script = script_path(read_name(*script, p + ".script"), script->loc);
        if (FILE* f = std::fopen(w.script.c_str(), "r"))
          std::fclose(f);
        else
          fail(script->loc, p + ".script", "cannot read the Lua script " + quote(w.script));
        kind = find_workload_kind(w.kind);
      } else {
        const Node& kind_node = required(n, p, "kind");
        w.kind = read_string(kind_node, p + ".kind");
        kind = find_workload_kind(w.kind);
        if (!kind) fail(kind_node.loc, p + ".kind", unknown("workload kind", w.kind, kind_names));
        if (kind->scripted)
          fail(kind_node.loc, p + ".kind", "kind lua needs the script: give script: path/to/guest.lua");
      }

      // Measurement kinds work in guest RAM: their region is optional.
      const RegionConfig* region = nullptr;
      const Node* region_node = kind->needs_region ? &required(n, p, "region") : optional(n, "region");
      if (region_node) {
        const std::string region_text = read_string(*region_node, p + ".region");
        const RegionRef rr = parse_region_ref(region_text);
        const auto matches = matching_regions(s_.regions, rr);
        if (matches.empty()) fail(region_node->loc, p + ".region", unknown("region", region_text, region_names));
        if (matches.size() > 1)
          fail(region_node->loc, p + ".region",
               "region name " + quote(rr.name) +
                   " is ambiguous: a Hypervisor and a Device Model region both use it; "
                   "write hv:/" +
                   rr.name + " or dm:/" + rr.name);
        region = matches[0];
        w.region = region_ref_text(s_.regions, *region);
        used_regions_.insert(region);
      }

      read_roles(required(n, p, "roles"), p + ".roles", *kind, region, w);
      read_params(optional(n, "params"), &n, p + ".params", *kind, w);
      s_.workloads.push_back(std::move(w));
    }
  }

  // A region no workload uses gets a pingpong between its first two members
  // (initiator the first, responder the second) with the default
  // parameters, so any scenario runs something that uses its regions. The
  // two roles go on vCPUs no other role uses, on two different pCPUs if the
  // VMs' affinities allow it, preferring pCPUs that run the fewest other
  // roles. A role that shares its pCPU with another role is notified by
  // doorbell where the region has one (hv-land): two pollers on one pCPU
  // make each round trip wait for a scheduler slice. The choice and its
  // reason are the workload's note (`ivsim show`).
  void add_default_workloads() {
    const WorkloadKind* kind = find_workload_kind("pingpong");
    std::set<std::pair<std::string, unsigned>> busy_vcpus;
    std::map<unsigned, std::vector<std::string>> pcpu_roles;  // pCPU -> "workload.role" running on it
    auto pcpu_of = [&](const GuestRef& r) { return s_.find_vm(r.vm)->pcpus.at(r.vcpu); };
    auto take = [&](const std::string& who, const GuestRef& r) {
      busy_vcpus.insert({r.vm, r.vcpu});
      pcpu_roles[pcpu_of(r)].push_back(who);
    };
    for (const auto& w : s_.workloads)
      for (const auto& [role, ref] : w.roles)
        if (s_.find_vm(ref.vm) && ref.vcpu < s_.find_vm(ref.vm)->pcpus.size()) take(w.name + "." + role, ref);
    // A Service VM vCPU a launch takes offline runs nothing.
    const std::set<unsigned> offline = service_vm_offline_pcpus(s_);
    auto runs = [&](const VmConfig* vm, unsigned x) {
      return vm->load_order != LoadOrder::service_vm || !offline.count(vm->pcpus[x]);
    };

    std::vector<std::size_t> added;
    for (std::size_t i = 0; i < s_.regions.size(); ++i) {
      const RegionConfig& r = s_.regions[i];
      if (used_regions_.count(&r) || r.members.size() < 2) continue;
      WorkloadConfig w;
      w.kind = kind->name;
      w.is_default = true;
      w.region = region_ref_text(s_.regions, r);
      w.name = r.name + "_pingpong";
      if (w.region != r.name) w.name = r.name + (r.provider == Provider::hypervisor ? "_hv" : "_dm") + "_pingpong";
      while (std::any_of(s_.workloads.begin(), s_.workloads.end(),
                         [&](const WorkloadConfig& o) { return o.name == w.name; }))
        w.name += "_";

      // The placement with the least sharing: a pCPU of both roles counts
      // most, then the other roles on each pCPU; ties to the lowest vCPUs.
      const VmConfig* a = s_.find_vm(r.members[0].vm);
      const VmConfig* b = s_.find_vm(r.members[1].vm);
      std::optional<std::pair<GuestRef, GuestRef>> best;
      std::size_t best_cost = 0;
      for (unsigned x = 0; x < a->pcpus.size(); ++x) {
        if (busy_vcpus.count({a->name, x}) || !runs(a, x)) continue;
        for (unsigned y = 0; y < b->pcpus.size(); ++y) {
          if (busy_vcpus.count({b->name, y}) || !runs(b, y) || (a == b && x == y)) continue;
          const unsigned pa = a->pcpus[x], pb = b->pcpus[y];
          const std::size_t cost = (pa == pb ? 1000 : 0) + pcpu_roles[pa].size() + pcpu_roles[pb].size();
          if (!best || cost < best_cost) {
            best = std::make_pair(GuestRef{a->name, x}, GuestRef{b->name, y});
            best_cost = cost;
          }
        }
      }
      if (!best) {
        warn(s_.where(path_at("ivshmem", i)), path_at("ivshmem", i),
             "no default workload: " + a->name + " and " + b->name +
                 " have no online vCPU free of other workloads' roles");
        continue;
      }
      w.roles["initiator"] = best->first;
      w.roles["responder"] = best->second;
      take(w.name + ".initiator", best->first);
      take(w.name + ".responder", best->second);
      for (const auto& spec : kind->params) w.params[spec.name] = spec.default_value;

      // Anything later stages report about it points at the region.
      const SourceLocation at = s_.where(path_at("ivshmem", i));
      const std::string p = path_at("workloads", s_.workloads.size());
      for (const std::string& f : {p, p + ".roles", p + ".roles.initiator", p + ".roles.responder", p + ".params"})
        note(f, at);
      added.push_back(s_.workloads.size());
      s_.workloads.push_back(std::move(w));
    }

    // Notification, once every role is placed.
    for (std::size_t k : added) {
      WorkloadConfig& w = s_.workloads[k];
      const RegionConfig& r = *find_region(s_, w.region);
      const GuestRef& ini = w.roles.at("initiator");
      const GuestRef& res = w.roles.at("responder");
      std::string shared;
      for (const GuestRef* ref : {&ini, &res}) {
        const unsigned pcpu = pcpu_of(*ref);
        for (const auto& other : pcpu_roles[pcpu])
          if (other.rfind(w.name + ".", 0) != 0 || pcpu_of(ini) == pcpu_of(res))
            if (other != w.name + (ref == &ini ? ".initiator" : ".responder"))
              if (shared.find(other) == std::string::npos)
                shared += fmt::format("{}pCPU {} also runs {}", shared.empty() ? "" : "; ", pcpu, other);
      }
      const std::string placed = fmt::format("initiator {} vCPU {} on pCPU {}, responder {} vCPU {} on pCPU {}", ini.vm,
                                             ini.vcpu, pcpu_of(ini), res.vm, res.vcpu, pcpu_of(res));
      if (shared.empty()) {
        w.note = "default pingpong: " + placed + ", no other role on either pCPU: notify=poll";
      } else if (r.provider == Provider::hypervisor) {
        w.params["notify"] = ParamValue::text("doorbell");
        w.note = "default pingpong: " + placed + "; " + shared +
                 ": notify=doorbell (pollers sharing a pCPU would make each round trip wait for a scheduler slice)";
      } else {
        w.note = "default pingpong: " + placed + "; " + shared +
                 ": notify=poll, as dm-land has no doorbell, so a round trip can wait for a scheduler slice";
      }
    }
  }

  void read_roles(const Node& roles, const std::string& rp, const WorkloadKind& kind, const RegionConfig* region,
                  WorkloadConfig& w) {
    expect(roles, rp, Node::Kind::mapping);
    std::vector<std::string> role_names;
    for (const auto& r : kind.roles) role_names.push_back(r.name);
    for (std::size_t k = 0; k < roles.keys.size(); ++k) {
      const std::string& role = roles.keys[k];
      if (kind.scripted) {
        if (role.empty() || role.size() > 32 || !std::all_of(role.begin(), role.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
            }))
          fail(roles.key_locs[k], rp, "a role name is 1-32 word characters (letters, digits, _), got " + quote(role));
      } else if (std::find(role_names.begin(), role_names.end(), role) == role_names.end()) {
        fail(roles.key_locs[k], rp, unknown("role", role, role_names));
      }
      const Node& v = roles.items[k];
      const std::string p = path_join(rp, role);
      expect(v, p, Node::Kind::mapping);
      check_keys(v, p, kRoleKeys);
      GuestRef g;

      const Node& vm_node = required(v, p, "vm");
      g.vm = read_string(vm_node, p + ".vm");
      const VmConfig* vm = s_.find_vm(g.vm);
      if (!vm) fail(vm_node.loc, p + ".vm", unknown("VM", g.vm, vm_names()));
      const bool member = !region || std::any_of(region->members.begin(), region->members.end(),
                                                 [&](const RegionMember& m) { return m.vm == g.vm; });
      if (!member) {
        std::vector<std::string> members;
        for (const auto& m : region->members) members.push_back(m.vm);
        fail(vm_node.loc, p + ".vm",
             "VM " + quote(g.vm) + " is not a member of region " + quote(region->name) +
                 " (members: " + (members.empty() ? std::string("none") : join_list(members)) + ")");
      }

      if (const Node* c = optional(v, "vcpu")) {
        const long long vcpu = read_int(*c, p + ".vcpu", 0, 65535, "(a vCPU index)");
        const std::size_t n_vcpus = vm->pcpus.size();
        if (static_cast<unsigned long long>(vcpu) >= n_vcpus)
          fail(c->loc, p + ".vcpu",
               "vcpu must be less than " + std::to_string(n_vcpus) + " (VM " + quote(g.vm) + " has " +
                   std::to_string(n_vcpus) + (n_vcpus == 1 ? " vCPU" : " vCPUs") + "), got " + c->text);
        g.vcpu = static_cast<unsigned>(vcpu);
      } else {
        note_default(&v, p + ".vcpu");
      }
      w.roles[role] = g;
    }
    if (kind.scripted && w.roles.empty()) fail(roles.loc, rp, "a script runs on at least one role: name one");
    for (const auto& r : kind.roles)
      if (!r.optional && !w.roles.count(r.name))
        fail(roles.loc, rp,
             "missing role " + quote(r.name) + " (" + kind.name + " needs " + join_list(role_names) + ")");
  }

  void read_params(const Node* params, const Node* parent, const std::string& pp, const WorkloadKind& kind,
                   WorkloadConfig& w) {
    std::vector<std::string> names;
    for (const auto& s : kind.params) names.push_back(s.name);
    if (kind.scripted) {  // any scalar: the script reads what it knows
      if (!params || params->kind == Node::Kind::null) return;
      expect(*params, pp, Node::Kind::mapping);
      for (std::size_t k = 0; k < params->keys.size(); ++k) {
        const Node& v = params->items[k];
        const std::string path = path_join(pp, params->keys[k]);
        if (v.kind != Node::Kind::scalar) fail(v.loc, path, "a script's parameter is a number, a boolean or a string");
        ParamValue x = ParamValue::text(v.text);
        char* end = nullptr;
        if (v.plain && !v.text.empty()) {
          const long long i = std::strtoll(v.text.c_str(), &end, 0);
          if (*end == '\0') {
            x = ParamValue::integer(i);
          } else if (const double d = std::strtod(v.text.c_str(), &end); *end == '\0') {
            x.type = ParamValue::Type::number;
            x.d = d;
          } else if (v.text == "true" || v.text == "false") {
            x.type = ParamValue::Type::boolean;
            x.b = v.text == "true";
          }
        }
        w.params[params->keys[k]] = x;
      }
      return;
    }
    if (params && params->kind != Node::Kind::null) {
      expect(*params, pp, Node::Kind::mapping);
      for (std::size_t k = 0; k < params->keys.size(); ++k) {
        const std::string& key = params->keys[k];
        const auto spec =
            std::find_if(kind.params.begin(), kind.params.end(), [&](const ParamSpec& s) { return s.name == key; });
        if (spec == kind.params.end()) fail(params->key_locs[k], pp, unknown("parameter", key, names));
        w.params[key] = read_param(params->items[k], path_join(pp, key), *spec);
      }
    }
    for (const auto& spec : kind.params)
      if (!w.params.count(spec.name)) {
        w.params[spec.name] = spec.default_value;
        note_default(params && params->kind == Node::Kind::mapping ? params : parent, path_join(pp, spec.name));
      }
  }

  ParamValue read_param(const Node& n, const std::string& path, const ParamSpec& spec) {
    ParamValue v;
    v.type = spec.type;
    const bool bounded = !(spec.min == 0 && spec.max == 0);
    auto check_range = [&](double x) {
      if (bounded && (x < spec.min || x > spec.max))
        fail(n.loc, path,
             "must be between " + format_number(spec.min) + " and " + format_number(spec.max) +
                 (spec.unit.empty() ? "" : " " + spec.unit) + ", got " + n.text);
    };
    switch (spec.type) {
      case ParamValue::Type::integer:
        v.i = bounded ? read_int(n, path, static_cast<long long>(spec.min), static_cast<long long>(spec.max), spec.unit)
                      : read_int(n, path, LLONG_MIN, LLONG_MAX, spec.unit);
        break;
      case ParamValue::Type::number:
        v.d = read_number(n, path);
        check_range(v.d);
        break;
      case ParamValue::Type::boolean:
        v.b = read_bool(n, path);
        break;
      case ParamValue::Type::string:
        v.s = read_string(n, path);
        if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), v.s) == spec.choices.end())
          fail(n.loc, path, "expected one of " + join_list(spec.choices) + ", got " + quote(v.s));
        break;
    }
    return v;
  }

  std::vector<std::string> vm_names() const {
    std::vector<std::string> v;
    for (const auto& vm : s_.vms) v.push_back(vm.name);
    return v;
  }

  Scenario& s_;
  std::set<const RegionConfig*> used_regions_;  // regions some workload of the scenario uses
};

}  // namespace

void read_scenario_workloads(const ScenarioTree& tree, std::vector<std::string>* warnings, Scenario& s,
                             const Node* list) {
  WorkloadReader(tree, warnings, s).read(list);
}

}  // namespace ivsim
