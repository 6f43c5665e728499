"""Kubernetes bays: kubeadm-built control plane in operator-supplied nodes."""
