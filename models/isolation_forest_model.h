// In-memory layout of a fitted isolation forest (internal to models/).
//
// All trees live in one flat node array; tree t owns nodes [tree_begin[t], tree_begin[t+1]) and
// child indices are relative to the tree's first node, so a tree can be built, copied and
// serialised on its own. The two children of a node are adjacent: right = left + 1.
//
// A leaf is stored so that scoring needs no branch on "is this a leaf": it splits on feature 0
// at +infinity (nothing compares greater, not even NaN) and its left child is itself. Walking
// any row `depth[t]` steps from the root therefore always ends on the row's leaf, and a batch
// of rows can be walked in lockstep. The serialised format marks leaves with feature -1 instead.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "vigil/isolation_forest.h"

namespace vigil {

struct IsolationForest::Model {
  struct Node {
    uint32_t feature = 0;
    float threshold = std::numeric_limits<float>::infinity();
    uint32_t left = 0;
    // Leaves: depth + c(size), the path length a row ending here gets. Internal nodes: 0.
    float path_length = 0;

    bool is_leaf(uint32_t self) const { return left == self; }
  };
  static_assert(sizeof(Node) == 16, "four nodes per cache line");

  uint32_t n_features = 0;
  uint32_t sample_size = 0;  // psi
  uint32_t max_depth = 0;    // the limit the trees were grown with
  uint64_t seed = 0;
  std::vector<Node> nodes;
  std::vector<uint32_t> node_size;   // training rows that reached each node (for Explain)
  std::vector<uint32_t> tree_begin;  // n_trees + 1 offsets into nodes
  std::vector<uint32_t> tree_depth;  // deepest leaf of each tree
  double c_psi = 1;                  // c(sample_size)
  std::string model_id;

  // Scoring layout, derived from `nodes` when every tree is at most kMaxCompiledDepth deep
  // (always, with the default depth limit). Tree t becomes a perfect binary tree of depth
  // D = tree_depth[t]: split slot s has children 2s+1 and 2s+2, so the walk computes the next
  // slot instead of loading it. Below a leaf shallower than D, pass-through slots (threshold
  // +infinity) send every row left, down to the leaf slot holding that leaf's path length.
  // `column` is the feature index pre-multiplied by the row-block stride used by Score.
  static constexpr uint32_t kMaxCompiledDepth = 12;
  static constexpr uint32_t kBlockRows = 64;
  struct Split {
    uint32_t column = 0;
    float threshold = std::numeric_limits<float>::infinity();
  };
  bool compiled = false;
  std::vector<Split> splits;          // 2^D - 1 per tree
  std::vector<float> leaf_paths;      // 2^D per tree
  std::vector<uint32_t> split_begin;  // per tree, into splits
  std::vector<uint32_t> leaf_begin;   // per tree, into leaf_paths

  size_t n_trees() const { return tree_begin.size() - 1; }
};

}  // namespace vigil
