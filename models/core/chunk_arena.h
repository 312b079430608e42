// Storage for the model's page-sized objects that appear while a run goes
// on (host memory pages, the coherence directory's line states, a guest's
// page tables under construction): carved one after another out of 2 MiB
// chunks of anonymous memory advised for transparent huge pages.
//
// Why: the host kernel maps fresh memory a 4 KiB page at a time, one fault
// each, and a fault is the dearest thing a run does when it first touches
// memory (11-13 us each on the project's development VM, measured in
// docs/performance.md, against a few hundred nanoseconds of model work per
// page). A chunk is mapped by one fault when the kernel backs it with a huge
// page, and by 512 otherwise (transparent huge pages off or none free): the
// same memory either way, only the count of faults differs.
//
// Objects are handed out in allocation order, zero-filled; a released one
// goes on a free list and is zeroed again when reused. The chunks are
// returned to the system when the arena is destroyed. Plain C++, no SystemC.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

class ChunkArena {
 public:
  static constexpr std::size_t kChunkBytes = std::size_t{2} << 20;  // one x86 large page

  // Slots of object_bytes rounded up to `align` (a power of two up to 4096).
  ChunkArena(std::size_t object_bytes, std::size_t align);
  ~ChunkArena();
  ChunkArena(const ChunkArena&) = delete;
  ChunkArena& operator=(const ChunkArena&) = delete;

  // A zero-filled slot. Throws std::bad_alloc when the system has no memory.
  void* allocate();
  // Gives the slot back for a later allocate().
  void release(void* p) { free_.push_back(p); }

  std::size_t slot_bytes() const { return slot_; }
  std::size_t chunks() const { return chunks_.size(); }

 private:
  std::size_t slot_;
  std::vector<void*> chunks_;
  u8* next_ = nullptr;  // the next unused slot of the newest chunk
  u8* end_ = nullptr;
  std::vector<void*> free_;
};

// The 4 KiB slots (64-byte aligned) that host memory pages and the page
// tables a guest builds share, one arena per process (the simulation runs
// in one thread): a table given back once written into guest memory holds
// the next guest page, as the two shared the heap when each was allocated
// on its own.
ChunkArena& page_slots();

// ChunkArena for one type: make() constructs a T in a zero-filled slot (a
// type without a constructor is all zeros, as value-initialisation gives).
template <class T>
class ObjectArena {
  static_assert(std::is_trivially_destructible_v<T>, "slots are reused without running destructors");

 public:
  ObjectArena() : arena_(sizeof(T), alignof(T)) {}
  T* make() { return new (arena_.allocate()) T; }
  void release(T* p) { arena_.release(p); }
  std::size_t chunks() const { return arena_.chunks(); }

 private:
  ChunkArena arena_;
};

// Large arrays (a cache's tags): one of 1 MiB or more gets anonymous memory
// of its own, 2 MiB-aligned and advised for transparent huge pages, so it is
// mapped by a fault per 2 MiB instead of one per 4 KiB; smaller ones come
// from the heap. Throws std::bad_alloc when the system has no memory.
void* allocate_large(std::size_t bytes);
void free_large(void* p, std::size_t bytes);

template <class T>
struct LargeArrayAllocator {
  using value_type = T;
  LargeArrayAllocator() = default;
  template <class U>
  LargeArrayAllocator(const LargeArrayAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_large(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) { free_large(p, n * sizeof(T)); }
  friend bool operator==(const LargeArrayAllocator&, const LargeArrayAllocator&) { return true; }
  friend bool operator!=(const LargeArrayAllocator&, const LargeArrayAllocator&) { return false; }
};

// An array of `size` zeros of a trivial type in fresh anonymous memory of its
// own: it reads as zero without being written, so a large array written
// sparsely (a histogram's 14 592 buckets, of which a run fills a few dozen)
// costs a fault and a page only for each page written, and no clearing.
// Copies copy every element. Throws std::bad_alloc when the system has no memory.
void* map_zero_pages(std::size_t bytes);
void unmap_zero_pages(void* p, std::size_t bytes);
// Gives the pages back to the system: they read as zero again (MADV_DONTNEED).
void rezero_pages(void* p, std::size_t bytes);

template <class T>
class ZeroPageArray {
  static_assert(std::is_trivial_v<T>, "the elements are the mapping's zero bytes, never constructed");

 public:
  explicit ZeroPageArray(std::size_t size) : size_(size), data_(static_cast<T*>(map_zero_pages(size * sizeof(T)))) {}
  ZeroPageArray(const ZeroPageArray& o) : ZeroPageArray(o.size_) {
    if (size_) std::memcpy(data_, o.data_, size_ * sizeof(T));  // an empty one has no mapping to copy
  }
  ZeroPageArray& operator=(const ZeroPageArray& o) {
    if (this != &o) {
      ZeroPageArray copy(o);
      std::swap(size_, copy.size_);
      std::swap(data_, copy.data_);
    }
    return *this;
  }
  ~ZeroPageArray() { unmap_zero_pages(data_, size_ * sizeof(T)); }

  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  // Every element zero again, the pages given back.
  void clear() { rezero_pages(data_, size_ * sizeof(T)); }

 private:
  std::size_t size_;
  T* data_;
};

}  // namespace ivsim
