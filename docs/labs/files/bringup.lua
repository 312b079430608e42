-- Lab 1: bring the IVSHMEM device up by hand, as a driver does, in both
-- VMs (roles rt and hmi). Everything printed goes to stderr, prefixed with
-- the workload and role.
local bdf = region_bdf()              -- where this VM sees the region's device
local function hex(v) return string.format("0x%x", v) end

-- 1. Enumeration: what sits at the BDF?
local id = pci_read32(bdf, 0x00)
local vendor, device = id & 0xffff, id >> 16
local class = pci_read32(bdf, 0x08) >> 8
local subsystem = pci_read32(bdf, 0x2c)
print(string.format("%s: %04x:%04x class %06x subsystem %04x:%04x capabilities at %s",
  bdf, vendor, device, class, subsystem & 0xffff, subsystem >> 16, hex(pci_read16(bdf, 0x34) & 0xff)))
expect(vendor == 0x1af4 and device == 0x1110, "an IVSHMEM function (1af4:1110) at " .. bdf)

-- 2. BAR sizing (Linux's __pci_read_base): memory decoding off, write
-- all-ones, read the mask back, restore.
local command = pci_read16(bdf, 0x04)
pci_write16(bdf, 0x04, command & ~0x2)
local function size32(offset)
  local saved = pci_read32(bdf, offset)
  pci_write32(bdf, offset, 0xffffffff)
  local mask = pci_read32(bdf, offset)
  pci_write32(bdf, offset, saved)
  return saved & ~0xf, ((~(mask & ~0xf)) & 0xffffffff) + 1, saved & 0xf
end
local bar0, bar0_size = size32(0x10)
local bar1, bar1_size = size32(0x14)
-- BAR2 is 64 bits wide: BAR3 holds its upper half.
local lo, hi = pci_read32(bdf, 0x18), pci_read32(bdf, 0x1c)
pci_write32(bdf, 0x18, 0xffffffff)
pci_write32(bdf, 0x1c, 0xffffffff)
local mask = (pci_read32(bdf, 0x1c) << 32) | (pci_read32(bdf, 0x18) & ~0xf)
pci_write32(bdf, 0x18, lo)
pci_write32(bdf, 0x1c, hi)
pci_write16(bdf, 0x04, command)
local bar2, bar2_size = (hi << 32) | (lo & ~0xf), (~mask) + 1
print(string.format("BAR0 %s size %d, BAR1 %s size %d, BAR2 %s size %d (flags %s)",
  hex(bar0), bar0_size, hex(bar1), bar1_size, hex(bar2), bar2_size, hex(lo & 0xf)))
expect(bar0_size == 256 and bar1_size == 4096, "BAR0 holds 256 bytes of registers, BAR1 the 4 KiB MSI-X table")

-- 3. The driver's view: the same numbers through Zephyr's calls.
local dev = ivshmem_probe(bdf)
local shm, size = ivshmem_get_mem(dev)
expect(shm == bar2 and size == bar2_size, "ivshmem_get_mem agrees with BAR2")
print(string.format("IVPosition %d, %d MSI-X vectors", ivshmem_get_id(dev), ivshmem_get_vectors(dev)))

-- 4. What the hypervisor mapped: BAR0 traps on every access, BAR2 is
-- memory (an EPT mapping of the region's host pages). Time both.
for _ = 1, params.reads do
  local t = timestamp()
  load32(bar0 + 0x08)                 -- IVPosition
  record("bar0_register_read", t)
  t = timestamp()
  load64(shm + 4096)
  record("bar2_memory_read", t)
end

-- 5. One region behind two BARs: the RT VM writes, the HMI VM reads, each
-- at its own guest-physical address.
local MAGIC = 0x4956534853484d  -- "IVSHSHM"
if role() == "rt" then
  store64(shm, MAGIC)
  wait_until(shm + 8, "eq", 1)        -- the HMI VM has seen it
else
  expect(wait_until(shm, "eq", MAGIC) == MAGIC, "the HMI VM reads what the RT VM wrote")
  -- 6. While BAR2 is being sized its window is not mapped: a read there
  -- no longer reaches the region.
  pci_write32(bdf, 0x18, 0xffffffff)
  pci_write32(bdf, 0x1c, 0xffffffff)
  local seen = load64(shm)
  pci_write32(bdf, 0x18, lo)
  pci_write32(bdf, 0x1c, hi)
  print(string.format("while sizing BAR2 the window reads %s; restored it reads %s", hex(seen), hex(load64(shm))))
  expect(seen ~= MAGIC, "the region is unmapped while BAR2 is sized")
  expect(load64(shm) == MAGIC, "restoring BAR2 maps the region again")
  store64(shm + 8, 1)
end
