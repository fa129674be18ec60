#include "platform/asio_stream.h"

#include <boost/asio/write.hpp>

namespace yt {

AsioStream::AsioStream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

void AsioStream::start(DataHandler on_data, ClosedHandler on_closed) {
  // Control frames and relayed datagrams are small, and latency matters more than
  // packing them: without this, Nagle holds a frame for the previous one's ACK (up
  // to the peer's 40 ms delayed ACK). Set here, not at construction: a socket made
  // for a connect is opened only by the connect.
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  on_data_ = std::move(on_data);
  on_closed_ = std::move(on_closed);
  read_more();
}

void AsioStream::read_more() {
  socket_.async_read_some(boost::asio::buffer(read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
                            if (self->done_) return;
                            if (error) {
                              self->fail(error == boost::asio::error::eof ? "closed by peer" : error.message());
                              return;
                            }
                            self->on_data_(ByteView(self->read_buffer_.data(), n));
                            if (!self->done_) self->read_more();
                          });
}

void AsioStream::send(ByteView data, bool droppable) {
  if (done_ || closing_ || data.empty()) return;
  if (droppable && queued_bytes_ > kDroppableQueueLimit) {
    ++dropped_;
    return;
  }
  queued_bytes_ += data.size();
  write_queue_.push_back(data.to_bytes());
  if (!writing_) write_more();
}

void AsioStream::write_more() {
  if (write_queue_.empty()) {
    writing_ = false;
    if (closing_) shutdown_now();
    return;
  }
  writing_ = true;
  boost::asio::async_write(socket_, boost::asio::buffer(write_queue_.front()),
                           [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                             if (self->done_) return;
                             if (error) {
                               self->fail(error.message());
                               return;
                             }
                             self->queued_bytes_ -= self->write_queue_.front().size();
                             self->write_queue_.pop_front();
                             self->write_more();
                           });
}

void AsioStream::close() {
  if (done_) return;
  closing_ = true;
  on_data_ = [](ByteView) {};
  on_closed_ = [](const std::string&) {};
  if (!writing_) shutdown_now();
}

void AsioStream::fail(const std::string& reason) {
  ClosedHandler handler = std::move(on_closed_);
  shutdown_now();
  if (handler) handler(reason);
}

void AsioStream::shutdown_now() {
  if (done_) return;
  done_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace yt
