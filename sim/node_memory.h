// node_memory: where the simulated kernel's in-memory indexes (extent
// maps, free-space btrees, refcounts) allocate their nodes.
//
// The kernel keeps such metadata in slab memory and reaches it through the
// direct map, which is mapped with 2 MiB or 1 GiB pages: a walk down a tree
// of a million records misses the cache at its lower levels, but hardly
// ever the TLB. Nodes from plain malloc lie on 4 KiB pages, so the same
// walk in the model pays a TLB miss and a page walk at every cold level as
// well. NodeAllocator takes nodes from one pool (std::pmr::
// synchronized_pool_resource, shared by every simulation in the process,
// whatever its thread) whose chunks are carved from 2 MiB-aligned regions
// marked MADV_HUGEPAGE; they are kept for the life of the process, as the
// page pool's are. Under AddressSanitizer nodes come from new and delete,
// so a use after free is still caught.
//
//   NodeBtreeMap<uint64_t, uint64_t> by_start;       // absl::btree_map
//   NodeBtreeSet<std::pair<uint64_t, uint64_t>> by_len;

#ifndef VFSSIM_SIM_NODE_MEMORY_H_
#define VFSSIM_SIM_NODE_MEMORY_H_

#include <cstddef>
#include <functional>
#include <memory_resource>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"

namespace vfssim {

// node_resource is the pool every NodeAllocator draws from.
std::pmr::memory_resource& node_resource();

// NodeAllocator is a stateless allocator over node_resource(): every
// instance is interchangeable, so containers swap and move as with
// std::allocator.
template <typename T>
struct NodeAllocator {
  using value_type = T;

  NodeAllocator() = default;
  template <typename U>
  NodeAllocator(const NodeAllocator<U>&) {}  // NOLINT: rebinding is implicit.

  T* allocate(size_t n) { return static_cast<T*>(node_resource().allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, size_t n) { node_resource().deallocate(p, n * sizeof(T), alignof(T)); }

  template <typename U>
  bool operator==(const NodeAllocator<U>&) const {
    return true;
  }
};

template <typename K, typename V, typename Compare = std::less<K>>
using NodeBtreeMap = absl::btree_map<K, V, Compare, NodeAllocator<std::pair<const K, V>>>;

template <typename K, typename Compare = std::less<K>>
using NodeBtreeSet = absl::btree_set<K, Compare, NodeAllocator<K>>;

}  // namespace vfssim

#endif  // VFSSIM_SIM_NODE_MEMORY_H_
