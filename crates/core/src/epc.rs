//! EPC QR payload (EPC069-12) (being written).
