#!/usr/bin/env Rscript
# Fixtures for emgpu's hc tree against mclust's own (test/model/hc-mclust.test.ts). Run from the
# repository root:
#
#     Rscript scripts/make_mclust_hc_fixtures.R
#
# Requires R with mclust 6.0.0 and jsonlite (Debian: apt-get install r-cran-mclust r-cran-jsonlite).
# The JSON file is committed, so CI never needs R.
#
# For each data set: its rows, and mclust's default start, hclass(hc(X, "VVV", use = "SVD"), G)
# for G = 1..GMAX: the partition mclustBIC starts every model from (on all rows: each set here has
# fewer than mclust.options("subset") = 2000 rows, so no subset is drawn).

suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})
stopifnot(packageVersion("mclust") == "6.0.0")

GMAX <- 15
data("diabetes", package = "mclust")
data("wreath", package = "mclust")
data("banknote", package = "mclust")
sets <- list(
  faithful = as.matrix(faithful),
  diabetes = as.matrix(diabetes[, -1]),
  banknote = as.matrix(banknote[, -1]),
  wreath = as.matrix(wreath),
  iris = as.matrix(iris[, 1:4])
)
out <- lapply(names(sets), function(name) {
  X <- sets[[name]]
  dimnames(X) <- NULL
  tree <- hc(X, modelName = "VVV", use = "SVD")
  cl <- hclass(tree, 1:GMAX)
  list(
    name = name,
    rows = nrow(X),
    cols = ncol(X),
    X = as.vector(t(X)),
    labels = lapply(1:GMAX, function(G) as.integer(cl[, G]))
  )
})
dir.create(file.path("test", "fixtures", "mclust-hc"), showWarnings = FALSE, recursive = TRUE)
writeLines(
  toJSON(list(source = "mclust 6.0.0: hclass(hc(X, modelName = 'VVV', use = 'SVD'), G)", sets = out),
         digits = I(17), auto_unbox = TRUE),
  file.path("test", "fixtures", "mclust-hc", "hc.json")
)
