#!/usr/bin/python3
"""Compares the IVSHMEM BARs ivsim gives pre-launched VMs and the Service VM
with those ACRN's own configurator computes (gpa.py allocate_pci_bar), on
every sample board and scenario of an ACRN source tree.

Each scenario gets IVSHMEM regions added between its pre-launched VMs, its
Service VM and its first post-launched VM (once 2 and 64 MiB, once 512, 4
and 16 MiB); both tools place them and every device's BAR0, BAR1 and BAR2
are compared. Needs python3-lxml and python3-defusedxml (gpa.py imports
them) and an ACRN checkout (git clone https://github.com/projectacrn/acrn-hypervisor).

    scripts/check-bars-against-acrn.py ACRN_SOURCE_DIR [build/sim/ivsim]

Exit status 0 when every BAR matches, 1 otherwise.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

if len(sys.argv) < 2:
    sys.exit(__doc__)
acrn = os.path.abspath(sys.argv[1])
ivsim = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build/sim/ivsim")
tools = os.path.join(acrn, "misc", "config_tools")
sys.path[:0] = [os.path.join(tools, "static_allocators"), os.path.join(tools, "library")]
from lxml import etree  # noqa: E402
import gpa  # noqa: E402


def region(name, size, members):
    vms = "".join(f"<IVSHMEM_VM><VM_NAME>{v}</VM_NAME><VBDF>{b}</VBDF></IVSHMEM_VM>" for v, b in members)
    return (f"<IVSHMEM_REGION><NAME>{name}</NAME><PROVIDED_BY>Hypervisor</PROVIDED_BY>"
            f"<IVSHMEM_SIZE>{size}</IVSHMEM_SIZE><IVSHMEM_VMS>{vms}</IVSHMEM_VMS></IVSHMEM_REGION>")


def acrn_bars(board, scenario):
    tree = etree.parse(scenario)
    names = {v.get("id"): v.findtext("name") for v in tree.getroot().findall("vm")}
    alloc = etree.ElementTree(etree.Element("acrn-config"))
    gpa.allocate_pci_bar(etree.parse(board), tree, alloc)
    out = {}
    for vm in alloc.getroot().findall("vm"):
        for d in vm.findall("device"):
            if d.get("name").startswith("IVSHMEM_"):
                bars = {b.get("id"): int(b.text, 16) for b in d.findall("bar")}
                out[(names[vm.get("id")], "r" + d.get("name")[8:])] = (bars["0"], bars["1"], bars["2"] & ~0xF)
    return out


def ivsim_bars(board, scenario):
    r = subprocess.run([ivsim, "show", "--json", "--board", board, "--scenario", scenario], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stdout[-400:] + r.stderr[-400:])
    j = json.loads(r.stdout[r.stdout.index("{"):])
    return {(d["vm"], d["region"].split("/")[-1]): (int(d["bar0"], 16), int(d["bar1"], 16), int(d["bar2"], 16))
            for d in j["devices"]}


same = differ = 0
with tempfile.TemporaryDirectory() as tmp:
    for folder in sorted(glob.glob(os.path.join(tools, "data", "*", ""))):
        board = os.path.join(folder, os.path.basename(folder.rstrip("/")) + ".xml")
        if not os.path.exists(board):
            continue
        for scenario in sorted(glob.glob(os.path.join(folder, "*.xml"))):
            text = open(scenario).read()
            if scenario == board or "<vm " not in text or "IVSHMEM" not in text or "<load_order>" not in text:
                continue
            vms = [(v.findtext("name"), v.findtext("load_order")) for v in etree.fromstring(text.encode()).findall("vm")]
            members = [n for n, order in vms if order in ("PRE_LAUNCHED_VM", "SERVICE_VM")]
            post = [n for n, order in vms if order == "POST_LAUNCHED_VM"][:1]
            if not members:
                continue
            # VBDFs the Service VM may take: none the board lists (vbdf_assignment.xsd).
            listed = set(re.findall(r"^\s*00:([0-9a-f]{2})\.[0-7] ",
                                    etree.parse(board).getroot().findtext("PCI_DEVICE") or "", re.M))
            # Nor one a PCI vUART connection's endpoint holds (acrn-dm's uart in a post-launched VM).
            listed |= {d.lower() for d in re.findall(r"<vbdf>\s*00:([0-9a-fA-F]{2})\.[0-7]\s*</vbdf>", text)}
            free = [d for d in range(0x10, 0x1f) if f"{d:02x}" not in listed]
            for sizes in ([2, 64], [512, 4, 16]):
                regions = "".join(
                    region(f"r{i}", size, [(m, f"00:{free[i]:02x}.0") for m in members + post])
                    for i, size in enumerate(sizes))
                path = os.path.join(tmp, "scenario.xml")
                with open(path, "w") as f:
                    f.write(re.sub(r"<IVSHMEM>.*?</IVSHMEM>|<IVSHMEM\s*/>", "<IVSHMEM>" + regions + "</IVSHMEM>", text,
                                   flags=re.S))
                try:
                    want = acrn_bars(board, path)
                except (AssertionError, ValueError) as e:  # not a scenario gpa.py takes (a launch file)
                    print(f"{os.path.relpath(scenario, acrn)}: skipped, gpa.py: {e}")
                    break
                got = ivsim_bars(board, path)
                for key, bars in want.items():
                    if got.get(key) == bars:
                        same += 1
                    else:
                        differ += 1
                        print(f"{os.path.relpath(scenario, acrn)} {sizes} {key}: ivsim "
                              f"{[hex(b) for b in got.get(key, ())]}, gpa.py {[hex(b) for b in bars]}")
print(f"{same} devices with the same BARs, {differ} different")
sys.exit(1 if differ or not same else 0)
