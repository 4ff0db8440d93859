//! filled from the helper's table
