# mclust's answers for the model-selection benchmark (npm run bench -- --mclust, bench/mclust.ts):
# exports the data sets to bench/data/mclust/*.csv, then for each runs mclustBIC with its
# defaults (hc start on the SVD-scaled data, on a subset of 2000 rows for larger N) over the
# data set's grid and writes the BIC table, the best model and the times to
# bench/results/mclust/<name>.json. BIC is mclust's (2·loglik − df·log n, higher is better);
# emgpu's is its negative. Run from the repository root: Rscript scripts/mclust_bic.R
suppressMessages(library(mclust))
library(jsonlite)
set.seed(170)

data_dir <- "bench/data/mclust"
out_dir <- "bench/results/mclust"
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

# 100,000 × 2 anisotropic blobs: 8 spherical clusters (sd 1, centres uniform in [-10, 10]²)
# sheared by one linear map, so every cluster is an elongated ellipse with the same orientation.
blobs <- function(n = 100000, k = 8) {
  centres <- matrix(runif(k * 2, -10, 10), k, 2)
  label <- sample.int(k, n, replace = TRUE)
  x <- centres[label, ] + matrix(rnorm(n * 2), n, 2)
  x <- x %*% matrix(c(0.6, -0.4, -0.6, 0.8), 2, 2)
  colnames(x) <- c("x1", "x2")
  x
}

data(diabetes); data(banknote); data(wreath); data(GvHD)
sets <- list(
  faithful = list(x = as.matrix(datasets::faithful), G = 1:9),
  diabetes = list(x = as.matrix(diabetes[, -1]), G = 1:9),
  blobs = list(x = blobs(), G = 1:9),
  banknote = list(x = as.matrix(banknote[, -1]), G = 1:9),
  wreath = list(x = as.matrix(wreath), G = 1:20),
  gvhd = list(x = as.matrix(GvHD.pos), G = 1:9)
)
only <- commandArgs(trailingOnly = TRUE)
if (length(only) > 0) sets <- sets[only]

sklearn4 <- c("VII", "VVI", "EEE", "VVV")
for (name in names(sets)) {
  x <- sets[[name]]$x
  G <- sets[[name]]$G
  colnames(x) <- make.names(colnames(x))
  write.csv(as.data.frame(x), file.path(data_dir, paste0(name, ".csv")),
            row.names = FALSE, quote = FALSE)
  x <- as.matrix(read.csv(file.path(data_dir, paste0(name, ".csv"))))  # exactly the committed numbers
  t4 <- system.time(bic4 <- mclustBIC(x, G = G, modelNames = sklearn4, verbose = FALSE))[["elapsed"]]
  t14 <- system.time(bic <- mclustBIC(x, G = G, verbose = FALSE))[["elapsed"]]
  table <- lapply(colnames(bic), function(m) {
    v <- bic[, m]
    lapply(seq_along(v), function(i) list(model = m, G = as.integer(rownames(bic)[i]),
                                           bic = if (is.na(v[i])) NULL else unname(v[i])))
  })
  best <- which(bic == max(bic, na.rm = TRUE), arr.ind = TRUE)[1, ]
  result <- list(
    dataset = name, rows = nrow(x), cols = ncol(x), G = G,
    mclust = as.character(packageVersion("mclust")), R = R.version.string,
    note = "BIC is mclust's: 2 loglik - df log n, higher is better (emgpu's BIC is its negative)",
    seconds_all14 = t14, seconds_sklearn4 = t4,
    best = list(model = colnames(bic)[best[2]], G = as.integer(rownames(bic)[best[1]]),
                bic = max(bic, na.rm = TRUE)),
    table = do.call(c, table)
  )
  writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"),
             file.path(out_dir, paste0(name, ".json")))
  cat(sprintf("%s: %d x %d, best %s G = %d (BIC %.1f), %.1f s (4 models %.1f s)\n", name, nrow(x), ncol(x),
              result$best$model, result$best$G, result$best$bic, t14, t4))
}
