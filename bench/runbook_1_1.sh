#!/bin/bash
# The runbook's daily health check (section 1.1), unchanged: the baseline of bench/health.py.

echo "=== CommSec Daily Health Check ==="
echo "Timestamp: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"

echo -e "\n--- EKS Cluster Status ---"
kubectl get nodes -o wide
kubectl top nodes

echo -e "\n--- Pod Status ---"
kubectl get pods -n commsec -o wide

UNHEALTHY=$(kubectl get pods -n commsec --field-selector=status.phase!=Running -o name 2>/dev/null)
if [ -n "$UNHEALTHY" ]; then
    echo "UNHEALTHY PODS FOUND:"
    echo "$UNHEALTHY"
else
    echo "All pods are healthy"
fi

echo -e "\n--- Service Endpoints ---"
kubectl get endpoints -n commsec

echo -e "\n--- Recent Events (Last 1 hour) ---"
kubectl get events -n commsec --sort-by='.lastTimestamp' | tail -20

echo -e "\n--- Resource Usage ---"
kubectl top pods -n commsec
