"""The question bank (ngân hàng câu hỏi): secret until use."""
