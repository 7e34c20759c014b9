# Fixtures for emgpu's summary() and uncertainty (test/estimator/summary.test.ts): mclust 6.0.0 fits a
# model, then at its fitted parameters estep() gives the log-likelihood and z, from which mclust's
# own bic(), icl() and uncertainty are read. The test loads the same parameters into emgpu and
# compares. Run from the repository root: Rscript scripts/make_mclust_summary_fixtures.R
suppressMessages(library(mclust))
library(jsonlite)
data(diabetes)
cases <- list(
  list(name = "faithful-EEE-3", x = as.matrix(datasets::faithful), model = "EEE", G = 3),
  list(name = "faithful-VVV-2", x = as.matrix(datasets::faithful), model = "VVV", G = 2),
  list(name = "diabetes-VVV-3", x = as.matrix(diabetes[, -1]), model = "VVV", G = 3),
  list(name = "diabetes-VVI-4", x = as.matrix(diabetes[, -1]), model = "VVI", G = 4),
  list(name = "faithful-VII-4", x = as.matrix(datasets::faithful), model = "VII", G = 4)
)
out <- lapply(cases, function(case) {
  x <- case$x
  fit <- Mclust(x, G = case$G, modelNames = case$model, verbose = FALSE)
  p <- fit$parameters
  es <- estep(data = x, modelName = case$model, parameters = p)
  n <- nrow(x); d <- ncol(x)
  df <- nMclustParams(case$model, d, case$G)
  loglik <- es$loglik
  bic <- 2 * loglik - df * log(n)
  z <- es$z
  cl <- map(z)
  # mclust's icl(): BIC + 2·Σ log z of the MAP class, from its own function on the model at z.
  fit2 <- fit; fit2$z <- z; fit2$loglik <- loglik; fit2$bic <- bic
  sizes <- tabulate(cl, nbins = case$G)
  sigma <- lapply(seq_len(case$G), function(k) unname(p$variance$sigma[, , k]))
  list(
    name = case$name, model = case$model, G = case$G, n = n, d = d,
    X = unname(x),
    weights = unname(p$pro), means = unname(t(p$mean)), sigma = sigma,
    loglik = loglik, df = df, bic = bic, icl = icl(fit2),
    uncertainty = unname(1 - apply(z, 1, max)),
    clusterSizes = sizes,
    summaryLoglik = summary(fit)$loglik, summaryBic = summary(fit)$bic, summaryIcl = summary(fit)$icl,
    mclust = as.character(packageVersion("mclust"))
  )
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE),
           "test/fixtures/mclust-summary/summary.json")
cat("wrote test/fixtures/mclust-summary/summary.json\n")
