#include "vigil/isolation_forest.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <xxhash.h>

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <utility>

#include "isolation_forest_model.h"
#include "random.h"
#include "vigil/tsan_hand_off.h"

namespace vigil {

using Model = IsolationForest::Model;
using Node = Model::Node;

namespace {

constexpr int kMaxTrees = 100000;
constexpr int kMaxDepthLimit = 64;
constexpr char kMagic[4] = {'V', 'G', 'I', 'F'};
constexpr int32_t kLeafFeature = -1;

// Smallest d with 2^d >= psi: the paper's height limit ceil(log2 psi), about the average height
// of a random tree, beyond which points are not worth isolating one by one.
uint32_t DefaultMaxDepth(uint32_t psi) {
  uint32_t depth = 0;
  while ((uint64_t{1} << depth) < std::max<uint32_t>(psi, 2)) ++depth;
  return depth;
}

struct GrownTree {
  std::vector<Node> nodes;
  std::vector<uint32_t> sizes;
  uint32_t depth = 0;
};

Node MakeLeaf(uint32_t self, uint32_t depth, uint32_t size) {
  Node leaf;
  leaf.left = self;
  leaf.path_length = static_cast<float>(depth + AveragePathLength(size));
  return leaf;
}

// Grows tree `tree_index` from its own random stream, so the result depends only on
// (seed, tree_index) and never on which thread runs it or in what order.
GrownTree GrowTree(const float* rows, size_t n_rows, size_t n_cols, uint32_t psi,
                   uint32_t max_depth, uint64_t seed, uint64_t tree_index) {
  models::Xoshiro256 rng(seed, tree_index);

  // Floyd's algorithm: psi distinct rows, however many rows there are. The rows taken so far
  // are marked in a bitmap of the rows (one bit a row: no hash-set node per insert).
  std::vector<uint32_t> chosen;
  chosen.reserve(psi);
  std::vector<bool> taken(n_rows, false);
  for (uint64_t j = n_rows - psi; j < n_rows; ++j) {
    auto pick = static_cast<uint32_t>(rng.Below(j + 1));
    if (taken[pick]) pick = static_cast<uint32_t>(j);  // j itself cannot have been taken yet
    taken[pick] = true;
    chosen.push_back(pick);
  }

  // Column-major copy of the sample: the min/max scans and partitions below read one feature
  // of many rows, which this makes contiguous.
  std::vector<float> cols(n_cols * psi);
  for (uint32_t i = 0; i < psi; ++i) {
    const float* row = rows + size_t{chosen[i]} * n_cols;
    for (size_t f = 0; f < n_cols; ++f) cols[f * psi + i] = row[f];
  }

  std::vector<uint32_t> order(psi);
  std::iota(order.begin(), order.end(), 0U);
  std::vector<uint32_t> features(n_cols);
  std::iota(features.begin(), features.end(), 0U);

  GrownTree tree;
  tree.nodes.reserve(size_t{2} * psi);
  tree.sizes.reserve(size_t{2} * psi);
  tree.nodes.emplace_back();
  tree.sizes.push_back(psi);

  struct Pending {
    uint32_t node, begin, end, depth;
  };
  std::vector<Pending> stack{{0, 0, psi, 0}};
  while (!stack.empty()) {
    const Pending at = stack.back();
    stack.pop_back();
    const uint32_t count = at.end - at.begin;
    tree.sizes[at.node] = count;
    bool split = false;
    if (count > 1 && at.depth < max_depth) {
      // Draw features without replacement until one varies in this node, as scikit-learn
      // does: the split feature is uniform over the non-constant ones, and a node whose rows
      // are all identical becomes a leaf.
      for (size_t j = 0; j < n_cols && !split; ++j) {
        std::swap(features[j], features[j + rng.Below(n_cols - j)]);
        const uint32_t f = features[j];
        const float* col = cols.data() + size_t{f} * psi;
        float lo = col[order[at.begin]];
        float hi = lo;
        for (uint32_t i = at.begin + 1; i < at.end; ++i) {
          lo = std::min(lo, col[order[i]]);
          hi = std::max(hi, col[order[i]]);
        }
        if (!(hi > lo)) continue;
        // The cut is drawn in double, as scikit-learn does, and stored as the largest float not
        // above it: for float x, x <= that float exactly when x <= the double cut, so the split
        // is the same one. A cut at hi would send every row left; it moves to lo instead.
        const double cut = lo + rng.Unit() * (static_cast<double>(hi) - lo);
        float threshold = static_cast<float>(cut);
        if (static_cast<double>(threshold) > cut) threshold = std::nextafter(threshold, lo);
        if (!(threshold < hi)) threshold = lo;
        const auto mid =
            static_cast<uint32_t>(std::partition(order.begin() + at.begin, order.begin() + at.end,
                                                 [&](uint32_t i) { return col[i] <= threshold; }) -
                                  order.begin());
        const auto left = static_cast<uint32_t>(tree.nodes.size());
        tree.nodes.resize(tree.nodes.size() + 2);
        tree.sizes.resize(tree.sizes.size() + 2);
        Node& node = tree.nodes[at.node];
        node.feature = f;
        node.threshold = threshold;
        node.left = left;
        node.path_length = 0;
        stack.push_back({left + 1, mid, at.end, at.depth + 1});
        stack.push_back({left, at.begin, mid, at.depth + 1});
        split = true;
      }
    }
    if (!split) {
      tree.nodes[at.node] = MakeLeaf(at.node, at.depth, count);
      tree.depth = std::max(tree.depth, at.depth);
    }
  }
  return tree;
}

// Sum over trees of the path lengths of kLanes rows, walked in lockstep: the rows are
// independent, so their node loads overlap instead of each waiting on the previous one.
template <size_t kLanes>
void AccumulateLockstep(const Model& model, const float* const* rows, float* acc) {
  const Node* all = model.nodes.data();
  for (size_t t = 0; t < model.n_trees(); ++t) {
    const Node* tree = all + model.tree_begin[t];
    uint32_t at[kLanes] = {};
    for (uint32_t step = 0; step < model.tree_depth[t]; ++step) {
      for (size_t k = 0; k < kLanes; ++k) {
        const Node& node = tree[at[k]];
        at[k] = node.left + static_cast<uint32_t>(rows[k][node.feature] > node.threshold);
      }
    }
    for (size_t k = 0; k < kLanes; ++k) acc[k] += tree[at[k]].path_length;
  }
}

// Compiled-layout walk of one tree by a block of kBlockRows rows stored feature-major
// (`block[f * kBlockRows + r]` is feature f of row r), adding each row's path length to acc.
//
// The first kVectorLevels levels hold only 2^kVectorLevels - 1 splits, so every row is
// compared with all of them at once: each comparison is a contiguous column against one
// threshold, which the compiler turns into SIMD compares, and each row's slot after those
// levels is assembled from the comparison masks with selects, without any per-row load. The
// deeper levels, where rows scatter over many splits, are walked per row, kLanes rows in
// lockstep: the next slot is computed (2s+1 or 2s+2), not loaded, and each lane's value sits at
// a constant offset from the split's pre-multiplied column, so a step is two loads, a compare
// and an address computation. Both phases take the same decisions a plain walk would, so the
// result is bit-identical to ScoreOne. Out of line on purpose: inlined into the block loop,
// GCC spills the lane offsets and the walk runs a third slower.
constexpr uint32_t kVectorLevels = 3;

[[gnu::noinline]] void WalkCompiledTree(const Model::Split* splits, const float* leaves,
                                        uint32_t depth, const float* block, float* acc) {
  constexpr size_t kRows = Model::kBlockRows;
  constexpr size_t kLanes = 8;
  // Slot of each row after the vectorised levels; 64-bit so a split load is one addressing mode.
  alignas(64) uint64_t start[kRows] = {};
  uint32_t levels = 0;
  if (depth >= kVectorLevels) {
    levels = kVectorLevels;
    // right[s][r] is all ones when row r goes right at slot s (0 to 6).
    alignas(64) int32_t right[7][kRows];
    for (size_t s = 0; s < 7; ++s) {
      const float* column = block + splits[s].column;
      const float threshold = splits[s].threshold;
      for (size_t r = 0; r < kRows; ++r) right[s][r] = -static_cast<int32_t>(column[r] > threshold);
    }
    for (size_t r = 0; r < kRows; ++r) {
      const int32_t d0 = right[0][r];                                 // at slot 0
      const int32_t d1 = (d0 & right[2][r]) | (~d0 & right[1][r]);    // at slot 1 + d0
      const int32_t low = (d1 & right[4][r]) | (~d1 & right[3][r]);   // slots 3, 4
      const int32_t high = (d1 & right[6][r]) | (~d1 & right[5][r]);  // slots 5, 6
      const int32_t d2 = (d0 & high) | (~d0 & low);
      start[r] = 7 + static_cast<uint64_t>((d0 & 4) | (d1 & 2) | (d2 & 1));
    }
  }
  leaves -= (uint64_t{1} << depth) - 1;
  for (size_t first = 0; first < kRows; first += kLanes) {
    const float* lanes = block + first;
    uint64_t at[kLanes];
    for (size_t k = 0; k < kLanes; ++k) at[k] = start[first + k];
    for (uint32_t step = levels; step < depth; ++step) {
      for (size_t k = 0; k < kLanes; ++k) {
        const Model::Split& split = splits[at[k]];
        const float value = (lanes + k)[split.column];
        at[k] = 2 * at[k] + 1 + static_cast<uint64_t>(value > split.threshold);
      }
    }
    for (size_t k = 0; k < kLanes; ++k) acc[first + k] += leaves[at[k]];
  }
}

float SumPathLengths(const Model& model, const float* row) {
  const float* rows[1] = {row};
  float acc[1] = {0};
  AccumulateLockstep<1>(model, rows, acc);
  return acc[0];
}

float ScoreFromSum(const Model& model, float sum) {
  const double mean = static_cast<double>(sum) / static_cast<double>(model.n_trees());
  return static_cast<float>(std::exp2(-mean / model.c_psi));
}

// ---- Serialisation helpers: explicit little-endian, whatever the host. ----

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool U32(uint32_t& v) {
    if (bytes_.size() - pos_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i)
      v |= uint32_t{static_cast<unsigned char>(bytes_[pos_ + i])} << (8 * i);
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t& v) {
    uint32_t lo = 0;
    uint32_t hi = 0;
    if (!U32(lo) || !U32(hi)) return false;
    v = (uint64_t{hi} << 32) | lo;
    return true;
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

std::string HexId(uint64_t hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "iforest-";
  for (int i = 15; i >= 0; --i) id.push_back(kHex[(hash >> (4 * i)) & 0xF]);
  return id;
}

// Builds the perfect-tree scoring layout described in isolation_forest_model.h.
void Compile(Model& model) {
  model.compiled = false;
  model.splits.clear();
  model.leaf_paths.clear();
  model.split_begin.clear();
  model.leaf_begin.clear();
  for (uint32_t d : model.tree_depth) {
    if (d > Model::kMaxCompiledDepth) return;
  }
  struct Slot {
    uint32_t node, slot, level;
  };
  std::vector<Slot> stack;
  for (size_t t = 0; t < model.n_trees(); ++t) {
    const uint32_t depth = model.tree_depth[t];
    const uint32_t n_splits = (1U << depth) - 1;
    const auto split_base = static_cast<uint32_t>(model.splits.size());
    const auto leaf_base = static_cast<uint32_t>(model.leaf_paths.size());
    model.split_begin.push_back(split_base);
    model.leaf_begin.push_back(leaf_base);
    model.splits.resize(model.splits.size() + n_splits);
    model.leaf_paths.resize(model.leaf_paths.size() + n_splits + 1, 0.0F);
    const Node* tree = model.nodes.data() + model.tree_begin[t];
    stack.assign(1, {0, 0, 0});
    while (!stack.empty()) {
      const Slot at = stack.back();
      stack.pop_back();
      const Node& node = tree[at.node];
      if (node.is_leaf(at.node)) {
        uint32_t slot = at.slot;
        for (uint32_t level = at.level; level < depth; ++level) slot = 2 * slot + 1;
        model.leaf_paths[leaf_base + slot - n_splits] = node.path_length;
        continue;
      }
      model.splits[split_base + at.slot] = {node.feature * Model::kBlockRows, node.threshold};
      stack.push_back({node.left, 2 * at.slot + 1, at.level + 1});
      stack.push_back({node.left + 1, 2 * at.slot + 2, at.level + 1});
    }
  }
  model.compiled = true;
}

// Fills the derived fields (c(psi), leaf path lengths, tree depths, id) from the stored ones.
// Returns false if the trees are not well formed.
bool Finish(Model& model, uint64_t hash) {
  model.c_psi = AveragePathLength(model.sample_size);
  model.tree_depth.assign(model.n_trees(), 0);
  std::vector<uint32_t> depth;
  for (size_t t = 0; t < model.n_trees(); ++t) {
    const uint32_t begin = model.tree_begin[t];
    const uint32_t n = model.tree_begin[t + 1] - begin;
    Node* tree = model.nodes.data() + begin;
    const uint32_t* size = model.node_size.data() + begin;
    depth.assign(n, 0);
    // Children come after their parent, so one forward pass sees every parent first; each
    // non-root node must be the child of exactly one node for the tree to be a tree.
    std::vector<uint8_t> referenced(n, 0);
    for (uint32_t i = 0; i < n; ++i) {
      if (i > 0 && referenced[i] != 1) return false;
      if (tree[i].is_leaf(i)) {
        if (size[i] == 0) return false;
        tree[i].path_length = static_cast<float>(depth[i] + AveragePathLength(size[i]));
        model.tree_depth[t] = std::max(model.tree_depth[t], depth[i]);
        continue;
      }
      const uint32_t left = tree[i].left;
      if (left <= i || left >= n - 1 || tree[i].feature >= model.n_features ||
          !std::isfinite(tree[i].threshold) || size[i] != size[left] + size[left + 1]) {
        return false;
      }
      ++referenced[left];
      ++referenced[left + 1];
      depth[left] = depth[left + 1] = depth[i] + 1;
    }
  }
  model.model_id = HexId(hash);
  Compile(model);
  return true;
}

std::string SerializeModel(const Model& model, uint64_t* hash_out) {
  std::string out;
  out.reserve(40 + model.nodes.size() * 16);
  out.append(kMagic, sizeof(kMagic));
  PutU32(out, IsolationForest::kFormatVersion);
  PutU32(out, model.n_features);
  PutU32(out, model.sample_size);
  PutU32(out, model.max_depth);
  PutU64(out, model.seed);
  PutU32(out, static_cast<uint32_t>(model.n_trees()));
  for (size_t t = 0; t < model.n_trees(); ++t) {
    const uint32_t begin = model.tree_begin[t];
    const uint32_t n = model.tree_begin[t + 1] - begin;
    PutU32(out, n);
    for (uint32_t i = 0; i < n; ++i) {
      const Node& node = model.nodes[begin + i];
      const bool leaf = node.is_leaf(i);
      PutU32(out, leaf ? static_cast<uint32_t>(kLeafFeature) : node.feature);
      PutU32(out, leaf ? 0 : std::bit_cast<uint32_t>(node.threshold));
      PutU32(out, leaf ? 0 : node.left);
      PutU32(out, model.node_size[begin + i]);
    }
  }
  const uint64_t hash = XXH64(out.data(), out.size(), 0);
  PutU64(out, hash);
  if (hash_out != nullptr) *hash_out = hash;
  return out;
}

}  // namespace

double AveragePathLength(double n) {
  if (n <= 1) return 0;
  if (n <= 2) return 1;
  constexpr double kEulerGamma = 0.5772156649015329;
  // H(n-1) ~ ln(n-1) + gamma, as in the paper and scikit-learn.
  return 2.0 * (std::log(n - 1.0) + kEulerGamma) - 2.0 * (n - 1.0) / n;
}

Status IsolationForestOptions::Validate() const {
  if (trees < 1 || trees > kMaxTrees) {
    return Status::InvalidArgument("isolation forest: trees must be in [1, " +
                                   std::to_string(kMaxTrees) + "], got " + std::to_string(trees));
  }
  if (samples < 2) {
    return Status::InvalidArgument("isolation forest: samples must be >= 2, got " +
                                   std::to_string(samples));
  }
  if (max_depth < 0 || max_depth > kMaxDepthLimit) {
    return Status::InvalidArgument("isolation forest: max_depth must be in [0, " +
                                   std::to_string(kMaxDepthLimit) + "], got " +
                                   std::to_string(max_depth));
  }
  return Status::Ok();
}

Result<IsolationForest> IsolationForest::Fit(const float* rows, size_t n_rows, size_t n_cols,
                                             const IsolationForestOptions& options) {
  VIGIL_RETURN_IF_ERROR(options.Validate());
  if (n_rows < 2) {
    return Status::InvalidArgument("isolation forest: need at least 2 rows, got " +
                                   std::to_string(n_rows));
  }
  if (n_cols == 0) return Status::InvalidArgument("isolation forest: rows have no columns");
  if (rows == nullptr) return Status::InvalidArgument("isolation forest: rows is null");
  if (n_rows > UINT32_MAX || n_cols > UINT32_MAX) {
    return Status::InvalidArgument("isolation forest: more than 2^32 rows or columns");
  }
  for (size_t i = 0; i < n_rows * n_cols; ++i) {
    if (!std::isfinite(rows[i])) {
      return Status::InvalidArgument("isolation forest: non-finite value at row " +
                                     std::to_string(i / n_cols) + ", column " +
                                     std::to_string(i % n_cols));
    }
  }
  try {
    auto model = std::make_shared<Model>();
    model->n_features = static_cast<uint32_t>(n_cols);
    model->sample_size = static_cast<uint32_t>(std::min<size_t>(options.samples, n_rows));
    model->max_depth = options.max_depth > 0 ? static_cast<uint32_t>(options.max_depth)
                                             : DefaultMaxDepth(model->sample_size);
    model->seed = options.seed;

    std::vector<GrownTree> grown(static_cast<size_t>(options.trees));
    const ForkJoin fork_join;  // vigil/tsan_hand_off.h: the trees are read after the join
    tbb::parallel_for(tbb::blocked_range<size_t>(0, grown.size()),
                      [&](const tbb::blocked_range<size_t>& range) {
                        const auto body = fork_join.Body();
                        for (size_t t = range.begin(); t != range.end(); ++t) {
                          grown[t] = GrowTree(rows, n_rows, n_cols, model->sample_size,
                                              model->max_depth, options.seed, t);
                        }
                      });
    fork_join.Joined();

    size_t total = 0;
    for (const GrownTree& tree : grown) total += tree.nodes.size();
    if (total > UINT32_MAX) return Status::InvalidArgument("isolation forest: too many nodes");
    model->nodes.reserve(total);
    model->node_size.reserve(total);
    model->tree_begin.reserve(grown.size() + 1);
    for (const GrownTree& tree : grown) {
      model->tree_begin.push_back(static_cast<uint32_t>(model->nodes.size()));
      model->nodes.insert(model->nodes.end(), tree.nodes.begin(), tree.nodes.end());
      model->node_size.insert(model->node_size.end(), tree.sizes.begin(), tree.sizes.end());
    }
    model->tree_begin.push_back(static_cast<uint32_t>(model->nodes.size()));
    uint64_t hash = 0;
    SerializeModel(*model, &hash);
    if (!Finish(*model, hash)) return Status::Internal("isolation forest: grew a malformed tree");
    return IsolationForest(std::move(model));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("isolation forest: fit failed: ") + e.what());
  }
}

void IsolationForest::Score(const float* rows, size_t n_rows, float* scores) const {
  const Model& model = *model_;
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> x(rows, static_cast<Eigen::Index>(n_rows),
                                     static_cast<Eigen::Index>(model.n_features));
  // A block of rows goes through one tree at a time, so the tree stays in L1 while the whole
  // block uses it (see WalkCompiledTree for the walk itself).
  constexpr size_t kBlock = Model::kBlockRows;
  const size_t n_blocks = (n_rows + kBlock - 1) / kBlock;
  const ForkJoin fork_join;  // vigil/tsan_hand_off.h: the caller reads the scores after the join
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, n_blocks, 4), [&](const tbb::blocked_range<size_t>& range) {
        const auto body = fork_join.Body();
        std::vector<float> block;
        if (model.compiled) block.resize(kBlock * model.n_features);
        for (size_t b = range.begin(); b != range.end(); ++b) {
          const size_t first = b * kBlock;
          const size_t n = std::min(kBlock, n_rows - first);
          float acc[kBlock] = {};
          if (model.compiled) {
            // Feature-major copy of the block (column-major kBlock x n_features); rows past the
            // end are zeroed and their results dropped.
            Eigen::Map<Eigen::MatrixXf> columns(block.data(), kBlock,
                                                static_cast<Eigen::Index>(model.n_features));
            const auto rows_here = static_cast<Eigen::Index>(n);
            columns.topRows(rows_here) = x.middleRows(static_cast<Eigen::Index>(first), rows_here);
            if (n < kBlock)
              columns.bottomRows(static_cast<Eigen::Index>(kBlock) - rows_here).setZero();
            for (size_t t = 0; t < model.n_trees(); ++t) {
              WalkCompiledTree(model.splits.data() + model.split_begin[t],
                               model.leaf_paths.data() + model.leaf_begin[t], model.tree_depth[t],
                               block.data(), acc);
            }
          } else {
            const float* row_ptrs[kBlock];
            for (size_t r = 0; r < n; ++r)
              row_ptrs[r] = x.row(static_cast<Eigen::Index>(first + r)).data();
            size_t r = 0;
            for (; r + 8 <= n; r += 8) AccumulateLockstep<8>(model, row_ptrs + r, acc + r);
            for (; r < n; ++r) AccumulateLockstep<1>(model, row_ptrs + r, acc + r);
          }
          // Scalar exp2 per row (not a vectorised one) keeps each score independent of where
          // the block boundaries fell, so any thread count gives identical bits.
          for (size_t r = 0; r < n; ++r) scores[first + r] = ScoreFromSum(model, acc[r]);
        }
      });
  fork_join.Joined();
}

float IsolationForest::ScoreOne(const float* row) const {
  return ScoreFromSum(*model_, SumPathLengths(*model_, row));
}

float IsolationForest::MeanPathLength(const float* row) const {
  return static_cast<float>(static_cast<double>(SumPathLengths(*model_, row)) /
                            static_cast<double>(model_->n_trees()));
}

std::vector<FeatureContribution> IsolationForest::Explain(const float* row, size_t top_k) const {
  const Model& model = *model_;
  std::vector<double> credit(model.n_features, 0.0);
  for (size_t t = 0; t < model.n_trees(); ++t) {
    const uint32_t begin = model.tree_begin[t];
    const Node* tree = model.nodes.data() + begin;
    const uint32_t* size = model.node_size.data() + begin;
    uint32_t at = 0;
    while (!tree[at].is_leaf(at)) {
      const Node& node = tree[at];
      const uint32_t next = node.left + static_cast<uint32_t>(row[node.feature] > node.threshold);
      credit[node.feature] += AveragePathLength(size[at]) - 1.0 - AveragePathLength(size[next]);
      at = next;
    }
  }
  std::vector<FeatureContribution> out;
  const double per_tree = 1.0 / static_cast<double>(model.n_trees());
  for (size_t f = 0; f < credit.size(); ++f) {
    if (credit[f] != 0) out.push_back({f, credit[f] * per_tree});
  }
  std::sort(out.begin(), out.end(), [](const FeatureContribution& a, const FeatureContribution& b) {
    return a.contribution != b.contribution ? a.contribution > b.contribution
                                            : a.feature < b.feature;
  });
  if (out.size() > top_k) out.resize(top_k);
  return out;
}

std::string IsolationForest::Serialize() const { return SerializeModel(*model_, nullptr); }

Result<IsolationForest> IsolationForest::Deserialize(std::string_view bytes) {
  auto corrupt = [](const std::string& why) {
    return Status::Corruption("isolation forest model: " + why);
  };
  if (bytes.size() < sizeof(kMagic) + 8 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt("not a model file (bad magic)");
  }
  Reader in(bytes.substr(sizeof(kMagic)));
  uint32_t version = 0;
  if (!in.U32(version)) return corrupt("truncated header");
  if (version != kFormatVersion) {
    return Status::FailedPrecondition("isolation forest model: format version " +
                                      std::to_string(version) + ", this build reads " +
                                      std::to_string(kFormatVersion));
  }
  const size_t body = bytes.size() - 8;
  Reader tail(bytes.substr(body));
  uint64_t stored_hash = 0;
  if (!tail.U64(stored_hash) || XXH64(bytes.data(), body, 0) != stored_hash) {
    return corrupt("checksum mismatch");
  }
  try {
    auto model = std::make_shared<Model>();
    uint32_t max_depth = 0;
    uint32_t n_trees = 0;
    if (!in.U32(model->n_features) || !in.U32(model->sample_size) || !in.U32(max_depth) ||
        !in.U64(model->seed) || !in.U32(n_trees)) {
      return corrupt("truncated header");
    }
    model->max_depth = max_depth;
    if (model->n_features == 0 || model->sample_size < 2 || n_trees == 0 || n_trees > kMaxTrees) {
      return corrupt("header out of range");
    }
    model->tree_begin.push_back(0);
    for (uint32_t t = 0; t < n_trees; ++t) {
      uint32_t n = 0;
      if (!in.U32(n) || n == 0 || in.remaining() < 8 + size_t{n} * 16)
        return corrupt("truncated tree");
      const auto begin = static_cast<uint32_t>(model->nodes.size());
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t feature = 0;
        uint32_t threshold = 0;
        uint32_t left = 0;
        uint32_t size = 0;
        (void)(in.U32(feature) && in.U32(threshold) && in.U32(left) && in.U32(size));
        Node node;
        if (feature == static_cast<uint32_t>(kLeafFeature)) {
          node.left = i;
        } else {
          if (left == i) return corrupt("node is its own child");
          node.feature = feature;
          node.threshold = std::bit_cast<float>(threshold);
          node.left = left;
        }
        model->nodes.push_back(node);
        model->node_size.push_back(size);
      }
      if (model->node_size[begin] != model->sample_size) return corrupt("root size mismatch");
      model->tree_begin.push_back(static_cast<uint32_t>(model->nodes.size()));
    }
    if (in.remaining() != 8) return corrupt("trailing bytes");
    if (!Finish(*model, stored_hash)) return corrupt("malformed tree");
    return IsolationForest(std::move(model));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("isolation forest model: load failed: ") + e.what());
  }
}

Status IsolationForest::Save(const std::string& path) const {
  const std::string bytes = Serialize();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

Result<IsolationForest> IsolationForest::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return Status::NotFound("no model file " + path);
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IoError("cannot stat " + path + ": " + ec.message());
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<uintmax_t>(in.gcount()) != size) return Status::IoError("cannot read " + path);
  auto forest = Deserialize(bytes);
  if (!forest.ok()) return forest.status().WithContext(path);
  return forest;
}

size_t IsolationForest::num_features() const { return model_->n_features; }
size_t IsolationForest::num_trees() const { return model_->n_trees(); }
size_t IsolationForest::sample_size() const { return model_->sample_size; }
double IsolationForest::average_path_length() const { return model_->c_psi; }
const std::string& IsolationForest::model_id() const { return model_->model_id; }

}  // namespace vigil
