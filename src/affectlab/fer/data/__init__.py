"""FER data: datasets, labels, folds, the manifest, video sampling, the face signal, contact sheets."""
