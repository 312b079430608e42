#include "models/core/chunk_arena.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace ivsim {

ChunkArena::ChunkArena(std::size_t object_bytes, std::size_t align) {
  if (align == 0 || (align & (align - 1)) != 0 || align > 4096 || object_bytes == 0 || object_bytes > kChunkBytes)
    throw std::invalid_argument("chunk arena: unsupported object size or alignment");
  slot_ = (object_bytes + align - 1) & ~(align - 1);
}

ChunkArena::~ChunkArena() {
  for (void* c : chunks_) munmap(c, kChunkBytes);
}

namespace {

constexpr std::size_t kLargeBytes = std::size_t{1} << 20;  // from here on, an array gets huge pages

// `bytes` (a multiple of the chunk size) of anonymous memory aligned to a
// chunk and advised for huge pages.
u8* map_aligned(std::size_t bytes) {
  const std::size_t span = bytes + ChunkArena::kChunkBytes;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t start = (base + ChunkArena::kChunkBytes - 1) & ~std::uintptr_t{ChunkArena::kChunkBytes - 1};
  if (start > base) munmap(raw, start - base);
  if (start + bytes < base + span) munmap(reinterpret_cast<void*>(start + bytes), base + span - start - bytes);
  // Advice only: without it (or without huge pages) this is still ordinary
  // zero-filled memory.
  madvise(reinterpret_cast<void*>(start), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<u8*>(start);
}

std::size_t whole_chunks(std::size_t bytes) {
  return (bytes + ChunkArena::kChunkBytes - 1) & ~(ChunkArena::kChunkBytes - 1);
}

}  // namespace

void* allocate_large(std::size_t bytes) {
  if (bytes < kLargeBytes) return ::operator new(bytes);
  return map_aligned(whole_chunks(bytes));
}

void free_large(void* p, std::size_t bytes) {
  if (bytes < kLargeBytes)
    ::operator delete(p);
  else
    munmap(p, whole_chunks(bytes));
}

void* map_zero_pages(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void unmap_zero_pages(void* p, std::size_t bytes) {
  if (p) munmap(p, bytes);
}

void rezero_pages(void* p, std::size_t bytes) {
  // A private anonymous mapping reads as zero again after MADV_DONTNEED; should
  // the advice fail, clear it by hand.
  if (p && madvise(p, bytes, MADV_DONTNEED) != 0) std::memset(p, 0, bytes);
}

void* ChunkArena::allocate() {
  if (!free_.empty()) {
    void* p = free_.back();
    free_.pop_back();
    std::memset(p, 0, slot_);
    return p;
  }
  if (static_cast<std::size_t>(end_ - next_) < slot_) {  // no chunk yet (both null), or this one is full
    u8* chunk = map_aligned(kChunkBytes);
    chunks_.push_back(chunk);
    next_ = chunk;
    end_ = chunk + kChunkBytes;
  }
  void* p = next_;  // fresh from mmap: already zero
  next_ += slot_;
  return p;
}

ChunkArena& page_slots() {
  // Never destroyed: a memory that lives in a static object gives its pages
  // back at exit, after any arena of static or thread storage would be gone.
  static ChunkArena* const slots = new ChunkArena(kPageSize4K, kCacheLineBytes);
  return *slots;
}

}  // namespace ivsim
