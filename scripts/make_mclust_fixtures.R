#!/usr/bin/env Rscript
# Parity fixtures for mclust's 14 covariance models (test/engines/cpu-mclust.test.ts, test/engines/webgpu-node-mclust.test.ts and the
# engine suite). Run from the repository root:
#
#     Rscript scripts/make_mclust_fixtures.R
#
# Requires R with mclust 6.0.0 and jsonlite (Debian: apt-get install r-cran-mclust r-cran-jsonlite).
# The JSON files in test/fixtures/mclust/ are committed, so CI never needs R.
#
# Each data set comes with starting labels (z = unmap(labels), one-hot). For every model,
# me(model, X, z) runs EM with tol = c(0, sqrt(eps)) (no outer stopping; mclust's inner tolerance
# for the iterative M-steps):
#   - loglik[m]  : mclust's loglik after itmax = m, m = 1..ITERS (= n x emgpu's lowerBounds[m - 1]
#                  from the init {"resp": z}, regCovar 0, tol 0);
#   - pro, mean, sigma after itmax = ITERS + 1 (= emgpu's parameters after maxIter = ITERS);
#   - bic and df (nMclustParams) of that fit.
# A model mclust cannot fit (singular covariance) is written with "failed": true.
# Numbers are written with 17 significant digits.

suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})
stopifnot(packageVersion("mclust") == "6.0.0")

ITERS <- 5
out_dir <- file.path("test", "fixtures", "mclust")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# Starting labels: mclust's own default start (hc VVV on SVD-scaled data, cut at G groups).
hc_labels <- function(X, G) as.integer(hclass(hc(X, modelName = "VVV", use = "SVD"), G))

data("diabetes", package = "mclust")
data("wreath", package = "mclust")
sets <- list(
  list(name = "iris", X = as.matrix(iris[, 1:4]), G = 3, labels = as.integer(iris$Species)),
  list(name = "faithful", X = as.matrix(faithful), G = 3, labels = NULL),
  list(name = "diabetes", X = as.matrix(diabetes[, -1]), G = 3, labels = NULL),
  list(name = "wreath", X = as.matrix(wreath), G = 14, labels = NULL)
)

run_model <- function(model, X, z, itmax) {
  me(model, data = X, z = z, control = emControl(itmax = c(itmax, .Machine$integer.max),
                                                 tol = c(0, sqrt(.Machine$double.eps))),
     warn = FALSE)
}

for (set in sets) {
  X <- set$X
  n <- nrow(X)
  d <- ncol(X)
  G <- set$G
  labels <- if (is.null(set$labels)) hc_labels(X, G) else set$labels
  z <- unmap(labels, groups = 1:G)
  models <- list()
  for (model in mclust.options("emModelNames")) {
    logliks <- vapply(1:ITERS, function(m) run_model(model, X, z, m)$loglik, numeric(1))
    fit <- run_model(model, X, z, ITERS + 1)
    failed <- any(!is.finite(logliks)) || !is.finite(fit$loglik)
    entry <- list(failed = failed, df = nMclustParams(model, d, G))
    if (!failed) {
      entry$loglik <- logliks
      entry$finalLoglik <- fit$loglik
      entry$bic <- bic(model, fit$loglik, n, d, G)
      entry$weights <- as.numeric(fit$parameters$pro)
      entry$means <- t(fit$parameters$mean) # G x d
      sigma <- fit$parameters$variance$sigma # d x d x G
      entry$covariances <- lapply(1:G, function(k) unname(sigma[, , k]))
    }
    models[[model]] <- entry
  }
  fixture <- list(
    source = sprintf("R %s, mclust %s, scripts/make_mclust_fixtures.R", getRversion(), packageVersion("mclust")),
    name = set$name,
    iterations = ITERS,
    nComponents = G,
    X = unname(X),
    labels = labels,
    models = models
  )
  write(toJSON(fixture, digits = I(17), auto_unbox = TRUE, matrix = "rowmajor"),
        file.path(out_dir, paste0(set$name, ".json")))
  cat(set$name, ": ", sum(!vapply(models, function(m) m$failed, logical(1))), "/14 models fitted\n", sep = "")
}
